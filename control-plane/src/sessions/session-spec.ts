/** Reading the stored SessionSpec (protobuf JSON) for the lifecycle. */
import { fromJson } from "@bufbuild/protobuf";
import { SessionSpecSchema } from "@raworc/proto/gen/raworc/v1/session_pb.js";

/** The session's idle timeout in ms: the spec's value, else the default; 0 means never. */
export function idleTimeoutMsOf(spec: Record<string, unknown>, defaultMs: number): number {
  const parsed = fromJson(SessionSpecSchema, spec as never, { ignoreUnknownFields: true });
  if (!parsed.idleTimeout) return defaultMs;
  return Number(parsed.idleTimeout.seconds) * 1000 + Math.floor(parsed.idleTimeout.nanos / 1e6);
}

/** The session's resources as Kubernetes quantities; empty strings mean the runtime's defaults. */
export function resourcesOf(spec: Record<string, unknown>): { cpu: string; memory: string; storage: string } {
  const parsed = fromJson(SessionSpecSchema, spec as never, { ignoreUnknownFields: true });
  return { cpu: parsed.resources?.cpu ?? "", memory: parsed.resources?.memory ?? "", storage: parsed.resources?.storage ?? "" };
}
