/** The parts of an OpenAPI document that the Connect protocol defines, the same for every method. */
import type { Schema } from "./validation-constraints.js";

/** Connect's error codes, as they appear in an error body's `code`. */
const connectCodes = [
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];

/** Name of the error body's component schema. */
export const errorSchemaName = "connect.Error";

/** Component schemas, parameters and the security scheme every operation refers to. */
export const connectComponents = {
  schemas: {
    [errorSchemaName]: {
      type: "object",
      description:
        "A Connect error: the HTTP status follows from `code` (e.g. 400 invalid_argument, 401 unauthenticated, 403 permission_denied, 404 not_found, 409 already_exists, 429 resource_exhausted, 503 unavailable).",
      properties: {
        code: { type: "string", enum: connectCodes, description: "The error code, in snake case." },
        message: { type: "string", description: "A human-readable explanation for developers." },
        details: {
          type: "array",
          description: "Error details: protobuf messages with their fully qualified type.",
          items: {
            type: "object",
            properties: {
              type: { type: "string", description: 'Fully qualified message name, e.g. "google.rpc.BadRequest".' },
              value: { type: "string", contentEncoding: "base64", description: "The message in the protobuf binary format." },
              debug: { description: "The message as JSON, when the server adds it." },
            },
            required: ["type", "value"],
          },
        },
      },
      required: ["code"],
    },
  } satisfies Record<string, Schema>,
  parameters: {
    "connect.ProtocolVersion": {
      name: "Connect-Protocol-Version",
      in: "header",
      required: false,
      description: "The Connect protocol version; clients built on Connect send 1.",
      schema: { type: "string", enum: ["1"] },
    },
    "connect.TimeoutMs": {
      name: "Connect-Timeout-Ms",
      in: "header",
      required: false,
      description: "How long the client waits, in milliseconds; the server gives up past it with deadline_exceeded.",
      schema: { type: "string", pattern: "^[0-9]{1,10}$" },
    },
  },
  securitySchemes: {
    bearer: {
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
      description: "A token from AuthService.Login (or `raworc auth token`), sent as the header `authorization: Bearer <token>`.",
    },
  },
};

/** The `default` response of every operation: a Connect error body. */
export const errorResponse = {
  description: "An error, as a Connect error body.",
  content: { "application/json": { schema: { $ref: `#/components/schemas/${errorSchemaName}` } } },
};

/** References to the Connect header parameters. */
export const connectParameters = [{ $ref: "#/components/parameters/connect.ProtocolVersion" }, { $ref: "#/components/parameters/connect.TimeoutMs" }];
