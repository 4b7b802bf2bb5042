/** Drives Python's grpcio (Debian's python3-grpcio) against a server, for cross-language interop tests. */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { create, toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { withDependencies } from "@raworc/proto";

const run = promisify(execFile);

// Debian's interpreter, not whatever `python3` is first on PATH (often a pyenv build without grpcio).
const python = "/usr/bin/python3";
const script = fileURLToPath(new URL("../python/grpc_client.py", import.meta.url));

/** Why the Python interop test is skipped when grpcio is missing, and how to fix it. */
export const pythonGrpcMissing = "python3-grpcio not installed: apt-get install python3-grpcio python3-protobuf";

/** Resolves whether /usr/bin/python3 can import grpc and google.protobuf. */
export async function pythonGrpcAvailable(): Promise<boolean> {
  try {
    await run(python, ["-c", "import grpc, google.protobuf"]);
    return true;
  } catch {
    return false;
  }
}

/** Writes a FileDescriptorSet of `files` and everything they import to `path`, for the script to build its messages from. */
export async function writeDescriptorSet(files: readonly DescFile[], path: string): Promise<string> {
  const set = create(FileDescriptorSetSchema, { file: withDependencies(files).map((f) => f.proto) });
  await writeFile(path, toBinary(FileDescriptorSetSchema, set));
  return path;
}

/** What one call from Python returned: the response as proto3 JSON, or the gRPC status name and details. */
export type PythonGrpcResult =
  | { readonly ok: true; readonly response: Record<string, unknown> }
  | { readonly ok: false; readonly code: string; readonly details: string };

/** One unary call to make from Python. */
export interface PythonGrpcCall {
  /** Server base URL (http://host:port); the call goes over cleartext HTTP/2. */
  readonly url: string;
  /** Path of a FileDescriptorSet written by {@link writeDescriptorSet}. */
  readonly descriptorSet: string;
  /** "package.Service/Method". */
  readonly method: string;
  /** The request as proto3 JSON. */
  readonly request?: unknown;
  /** Metadata as "name: value" lines. */
  readonly headers?: readonly string[];
}

/** Calls one unary method with grpcio in a Python process and returns what it printed. */
export async function callFromPython(call: PythonGrpcCall): Promise<PythonGrpcResult> {
  const args = [
    script,
    "--descriptor-set",
    call.descriptorSet,
    "--target",
    new URL(call.url).host,
    "--method",
    call.method,
    "--data",
    JSON.stringify(call.request ?? {}),
    ...(call.headers ?? []).flatMap((h) => ["--header", h]),
  ];
  const { stdout } = await run(python, args, { timeout: 60_000 });
  return JSON.parse(stdout) as PythonGrpcResult;
}
