/** `raworc api`: calls any RPC of the API generically, with JSON in and JSON out. */
import { fromJson, toJson, type DescMethod, type DescMethodServerStreaming, type DescMethodUnary, type JsonValue, type Message } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { registry } from "@raworc/proto";
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { findMethod, fullMethodName, listMethods } from "../methods.js";
import { formatOutput, parseOutputFormat, tableOf, type OutputFormat } from "../output.js";
import { readAll } from "../prompt.js";
import { resolveTarget, transportFor, type GlobalOptions } from "../target.js";

/** Parses request JSON text into the method's input message; empty text is the empty message. */
export function parseRequest(method: DescMethod, text: string | undefined): Message {
  const source = text?.trim() ? text : "{}";
  let json: JsonValue;
  try {
    json = JSON.parse(source) as JsonValue;
  } catch (error) {
    throw new UsageError(`the request is not valid JSON: ${(error as Error).message}`);
  }
  try {
    return fromJson(method.input, json, { registry });
  } catch (error) {
    throw new UsageError(`the request is not a valid ${method.input.typeName}: ${(error as Error).message}`);
  }
}

/** Calls a unary or server-streaming method and hands each response message, as JSON, to `onMessage`. */
export async function callMethod(
  transport: Transport,
  method: DescMethod,
  request: Message,
  onMessage: (json: JsonValue) => void,
  signal?: AbortSignal,
): Promise<void> {
  const json = (message: Message) => toJson(method.output, message, { registry });
  // DescMethod is not a discriminated union, so the switch cannot narrow it by itself.
  switch (method.methodKind) {
    case "unary": {
      const res = await transport.unary(method as DescMethodUnary, signal, undefined, undefined, request);
      onMessage(json(res.message));
      return;
    }
    case "server_streaming": {
      const res = await transport.stream(method as DescMethodServerStreaming, signal, undefined, undefined, createAsyncIterable([request]));
      for await (const message of res.message) onMessage(json(message));
      return;
    }
    default:
      // The Connect protocol over HTTP/1.1 carries no client streams; these methods are for daemons.
      throw new UsageError(`${fullMethodName(method)} is a ${method.methodKind.replace("_", "-")} method; raworc api calls unary and server-streaming methods`);
  }
}

/** The method names `raworc api --list` prints, with their kind. */
export function methodListing(): string {
  return listMethods()
    .map((m) => `${fullMethodName(m)}${m.methodKind === "unary" ? "" : `  (${m.methodKind.replace("_", "-")})`}\n`)
    .join("");
}

interface ApiFlags {
  readonly list?: boolean;
}

/** Adds `api` to the program. */
export function configureApiCommand(program: Command, io: Io): void {
  program
    .command("api")
    .description("call any RPC with a JSON request and print the JSON response (stdin when the request is - or omitted and piped)")
    .argument("[method]", "e.g. raworc.v1.AuthService/WhoAmI, AuthService/WhoAmI or AuthService.WhoAmI")
    .argument("[request]", "the request as JSON, or - for standard input")
    .option("--list", "list every method")
    .addHelpText("after", `\nExample:\n  raworc api AuthService/WhoAmI '{}'\n  echo '{"pageSize": 10}' | raworc api raworc.v1.ServiceAccountService/ListServiceAccounts -o yaml`)
    .action(async (name: string | undefined, text: string | undefined, flags: ApiFlags, command: Command) => {
      if (flags.list || name === undefined) {
        io.stdout.write(methodListing());
        return;
      }
      const globals = command.optsWithGlobals<GlobalOptions>();
      const format = parseOutputFormat(globals.output, "json");
      const method = findMethod(name);
      const source = text === "-" || (text === undefined && !io.stdin.isTTY) ? await readAll(io.stdin) : text;
      const request = parseRequest(method, source);
      const transport = transportFor(await resolveTarget(globals, io.env));
      let count = 0;
      await callMethod(transport, method, request, (json) => io.stdout.write(render(json, format, count++)), io.signal);
    });
}

/** One response message; YAML documents of a stream are separated by `---`. */
function render(json: JsonValue, format: OutputFormat, index: number): string {
  return (format === "yaml" && index > 0 ? "---\n" : "") + formatOutput(json, format, tableOf);
}
