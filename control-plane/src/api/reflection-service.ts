/**
 * gRPC server reflection (v1 and v1alpha, which share one wire shape), answered from the
 * generated registry, so grpcurl, buf curl and Postman work without the .proto files.
 */
import { toBinary, type DescFile, type FileRegistry, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import { withDependencies } from "@raworc/proto";
import type {
  ServerReflectionRequest,
  ServerReflectionResponseSchema,
} from "@raworc/proto/gen/grpc/reflection/v1/reflection_pb.js";
import type { ServerReflection as ReflectionV1 } from "@raworc/proto/gen/grpc/reflection/v1/reflection_pb.js";
import type { ServerReflection as ReflectionV1alpha } from "@raworc/proto/gen/grpc/reflection/v1alpha/reflection_pb.js";

/** An answer as an init shape: the same plain object serves v1 and v1alpha, whose messages differ only in package. */
type Answer = NonNullable<MessageInitShape<typeof ServerReflectionResponseSchema>["messageResponse"]>;

function fileAnswer(files: DescFile[]): Answer {
  // Reflection file names carry the ".proto" suffix, which DescFile.name omits.
  const fileDescriptorProto = withDependencies(files).map((f) => toBinary(FileDescriptorProtoSchema, f.proto));
  return { case: "fileDescriptorResponse", value: { fileDescriptorProto } };
}

function notFound(what: string): Answer {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: `${what} not found` } };
}

/** Answers one reflection question from the registry. */
export function answerReflection(registry: FileRegistry, services: readonly string[], req: ServerReflectionRequest): Answer {
  const q = req.messageRequest;
  switch (q.case) {
    case "listServices":
      return { case: "listServicesResponse", value: { service: services.map((name) => ({ name })) } };
    case "fileByFilename": {
      const file = registry.getFile(q.value);
      return file ? fileAnswer([file]) : notFound(`file ${q.value}`);
    }
    case "fileContainingSymbol": {
      const symbol = q.value.replace(/^\./, "");
      const desc = registry.get(symbol) ?? registry.get(symbol.slice(0, Math.max(0, symbol.lastIndexOf("."))));
      const file = desc && "file" in desc ? desc.file : undefined;
      return file ? fileAnswer([file]) : notFound(`symbol ${q.value}`);
    }
    case "fileContainingExtension": {
      const extendee = registry.getMessage(q.value.containingType);
      const ext = extendee ? registry.getExtensionFor(extendee, q.value.extensionNumber) : undefined;
      return ext ? fileAnswer([ext.file]) : notFound(`extension ${q.value.extensionNumber} of ${q.value.containingType}`);
    }
    case "allExtensionNumbersOfType": {
      const message = registry.getMessage(q.value);
      if (!message) return notFound(`type ${q.value}`);
      const numbers = [...registry].flatMap((d) => (d.kind === "extension" && d.extendee.typeName === q.value ? [d.number] : []));
      return { case: "allExtensionNumbersResponse", value: { baseTypeName: q.value, extensionNumber: numbers } };
    }
    default:
      return { case: "errorResponse", value: { errorCode: Code.InvalidArgument, errorMessage: "empty reflection request" } };
  }
}

function implementation(registry: FileRegistry, services: readonly string[]) {
  return {
    async *serverReflectionInfo(requests: AsyncIterable<ServerReflectionRequest>) {
      for await (const req of requests) {
        yield { validHost: req.host, originalRequest: req, messageResponse: answerReflection(registry, services, req) };
      }
    },
  };
}

/** Creates the v1 reflection service over the registry, listing the given services. */
export function createReflectionV1(registry: FileRegistry, services: readonly string[]): ServiceImpl<typeof ReflectionV1> {
  return implementation(registry, services);
}

/** Creates the v1alpha reflection service (used by older grpcurl and Postman). */
export function createReflectionV1alpha(registry: FileRegistry, services: readonly string[]): ServiceImpl<typeof ReflectionV1alpha> {
  return implementation(registry, services) as unknown as ServiceImpl<typeof ReflectionV1alpha>;
}
