/**
 * A protoc/buf plugin that writes the OpenAPI 3.1 document of one protobuf package's services
 * (as JSON and YAML). Options: `package=<name>` (required), `exclude=<Service>` and
 * `public=<Service.Method>` (repeatable, fully qualified), `out=<path without extension>`.
 */
import { create, createFileRegistry, type DescService } from "@bufbuild/protobuf";
import type { Plugin } from "@bufbuild/protoplugin";
import { CodeGeneratorResponse_Feature, CodeGeneratorResponseSchema, FileDescriptorSetSchema, type CodeGeneratorRequest } from "@bufbuild/protobuf/wkt";
import { stringify } from "yaml";
import { buildOpenApiDocument } from "./openapi-document.js";

interface PluginOptions {
  readonly pkg: string;
  readonly exclude: ReadonlySet<string>;
  readonly publicMethods: ReadonlySet<string>;
  readonly out: string;
}

function parseOptions(parameter: string): PluginOptions {
  let pkg = "";
  let out = "openapi";
  const exclude = new Set<string>();
  const publicMethods = new Set<string>();
  for (const pair of parameter.split(",").filter((p) => p.length > 0)) {
    const [key, value = ""] = pair.split("=", 2);
    if (key === "package") pkg = value;
    else if (key === "exclude") exclude.add(value);
    else if (key === "public") publicMethods.add(value);
    else if (key === "out") out = value;
    else throw new Error(`unknown option ${key ?? pair}`);
  }
  if (!pkg) throw new Error("option package=<name> is required");
  return { pkg, exclude, publicMethods, out };
}

const introduction = `The Raworc API as the Connect protocol serves it over HTTP/1.1 and HTTP/2: every method is \`POST /<service>/<method>\`
with a JSON body (proto3 JSON: 64-bit integers as strings, enums by name, timestamps as RFC 3339 strings, durations like \`"1.5s"\`).
The same methods answer gRPC and gRPC-Web on the same port; the .proto files in the repository's \`proto/\` are the source of truth.

**Authentication.** Call \`AuthService/Login\` with a username and password, then send the token on every other call as the header
\`authorization: Bearer <token>\` (in Swagger UI: the Authorize button). A token sent without the scheme is refused with
"expected 'Bearer <token>'".

**Errors** are Connect error bodies (\`code\`, \`message\`, \`details\`) with a matching HTTP status. Validation rules of the .proto files
appear here as schema constraints where JSON Schema can state them, and in words where it cannot; the server enforces all of them.`;

/** The plugin; deterministic, so CI can check that the committed output is fresh. */
export const openApiPlugin: Plugin = {
  name: "protoc-gen-openapi",
  version: "v1",
  run(request: CodeGeneratorRequest) {
    const options = parseOptions(request.parameter);
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: request.protoFile }));
    const services: DescService[] = [];
    for (const name of request.fileToGenerate) {
      const file = registry.getFile(name);
      if (!file || file.proto.package !== options.pkg) continue;
      services.push(...file.services.filter((s) => !options.exclude.has(s.typeName)));
    }
    for (const m of options.publicMethods) {
      const [service, method] = [m.slice(0, m.lastIndexOf(".")), m.slice(m.lastIndexOf(".") + 1)];
      if (!services.some((s) => s.typeName === service && s.methods.some((x) => x.name === method))) throw new Error(`public=${m}: no such method`);
    }
    const document = buildOpenApiDocument(services, { title: "Raworc API", version: options.pkg, description: introduction, publicMethods: options.publicMethods });
    return create(CodeGeneratorResponseSchema, {
      supportedFeatures: BigInt(CodeGeneratorResponse_Feature.PROTO3_OPTIONAL),
      file: [
        { name: `${options.out}.json`, content: JSON.stringify(document, null, 2) + "\n" },
        { name: `${options.out}.yaml`, content: stringify(document, { lineWidth: 0, aliasDuplicateObjects: false }) },
      ],
    });
  },
};
