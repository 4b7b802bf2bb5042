/**
 * One OpenAPI 3.1 document for an API as the Connect protocol serves it: every unary method is
 * `POST /<package>.<Service>/<Method>` with a JSON body, every server-streaming method the same
 * path with Connect's enveloped `application/connect+json` stream.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { connectComponents, connectParameters, errorResponse } from "./connect-components.js";
import { commentOf, SchemaBuilder } from "./message-schemas.js";

/** What the document says beyond the .proto files. */
export interface DocumentOptions {
  /** The document's title. */
  readonly title: string;
  /** The API version. */
  readonly version: string;
  /** The document's introduction (Markdown). */
  readonly description: string;
  /** Methods callable without a token, as "package.Service.Method". */
  readonly publicMethods: ReadonlySet<string>;
}

/** The comment's first sentence, on one line ("e.g." does not end one). */
function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return /^.*?(?<!\be\.g|\bi\.e)[.!?](?=\s|$)/.exec(flat)?.[0] ?? flat;
}

const streamNote =
  "Server streaming over the Connect protocol: the request body is one enveloped message and the response is a stream of enveloped messages " +
  "(each a flags byte and a 4-byte big-endian length before the JSON), ending with an end-of-stream envelope (flags 0x02) that carries an error, if any. " +
  "Connect and gRPC-Web clients do this framing; Swagger UI cannot.";

function operation(method: DescMethod, service: DescService, schemas: SchemaBuilder, options: DocumentOptions): Record<string, unknown> {
  const streaming = method.methodKind === "server_streaming";
  const contentType = streaming ? "application/connect+json" : "application/json";
  const description = commentOf(method);
  const op: Record<string, unknown> = {
    operationId: `${service.name}_${method.name}`,
    tags: [service.name],
    summary: firstSentence(description),
    description: streaming ? `${description}\n\n${streamNote}` : description,
    parameters: connectParameters,
    requestBody: { required: true, content: { [contentType]: { schema: schemas.ref(method.input) } } },
    responses: {
      "200": {
        description: streaming ? `A stream of ${method.output.name} messages.` : `The ${method.output.name}.`,
        content: { [contentType]: { schema: schemas.ref(method.output) } },
      },
      default: errorResponse,
    },
  };
  if (streaming) op["x-connect-streaming"] = "server";
  if (options.publicMethods.has(`${service.typeName}.${method.name}`)) op.security = [];
  return op;
}

/** Builds the document for the given services. */
export function buildOpenApiDocument(services: readonly DescService[], options: DocumentOptions): Record<string, unknown> {
  const schemas = new SchemaBuilder();
  const paths: Record<string, unknown> = {};
  for (const service of services) {
    for (const method of service.methods) {
      if (method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming") {
        throw new Error(`${service.typeName}.${method.name}: client and bidi streaming cannot be called from a browser; exclude the service`);
      }
      paths[`/${service.typeName}/${method.name}`] = { post: operation(method, service, schemas, options) };
    }
  }
  const sorted = Object.fromEntries(Object.entries(schemas.components).sort(([a], [b]) => a.localeCompare(b)));
  return {
    openapi: "3.1.0",
    info: { title: options.title, version: options.version, description: options.description },
    // Relative: the document is served by the API itself, so "Try it out" calls the same server.
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    tags: services.map((s) => ({ name: s.name, description: commentOf(s) })),
    paths,
    components: { ...connectComponents, schemas: { ...sorted, ...connectComponents.schemas } },
  };
}
