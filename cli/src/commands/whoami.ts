/** `raworc whoami`: shows the principal the current token stands for. */
import { toJson } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { AuthService, WhoAmIResponseSchema, type WhoAmIResponse } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import type { Command } from "commander";
import type { Io } from "../io.js";
import { formatOutput, parseOutputFormat, type Table } from "../output.js";
import { resolveTarget, transportFor, type GlobalOptions, type Target } from "../target.js";

/** Asks the server who the target's token belongs to. */
export async function whoami(target: Pick<Target, "server" | "token">): Promise<WhoAmIResponse> {
  return createClient(AuthService, transportFor(target)).whoAmI({});
}

/** The table form of a WhoAmI response. */
export function whoamiTable(json: WhoAmIJson): Table {
  const p = json.principal ?? {};
  return {
    columns: ["name", "kind", "namespace", "groups", "expires"],
    rows: [[p.name, p.kind, p.namespace, p.groups, json.expiresAt]],
  };
}

/** The JSON shape of a WhoAmI response, as much of it as the table shows. */
export interface WhoAmIJson {
  readonly principal?: { name?: string; kind?: string; namespace?: string; groups?: string[] };
  readonly expiresAt?: string;
}

/** Adds `whoami` to the program. */
export function configureWhoamiCommand(program: Command, io: Io): void {
  program
    .command("whoami")
    .description("show who the current token belongs to")
    .action(async (_flags: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const format = parseOutputFormat(globals.output, "table");
      const res = await whoami(await resolveTarget(globals, io.env));
      io.stdout.write(formatOutput(toJson(WhoAmIResponseSchema, res) as WhoAmIJson, format, whoamiTable));
    });
}
