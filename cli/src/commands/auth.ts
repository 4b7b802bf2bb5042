/** `raworc auth can-i VERB RESOURCE [NAME]`: asks RbacService.CheckAccess and answers yes (exit 0) or no (exit 1), like kubectl. */
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { CheckAccessRequestSchema, RbacService, type CheckAccessRequest, type CheckAccessResponse } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import type { Command } from "commander";
import { connect } from "../connection.js";
import { ExitCode, UsageError } from "../errors.js";
import type { Io } from "../io.js";
import type { Connection } from "../objects/kind.js";
import { collect } from "../objects/labels.js";
import { defaultApiGroup } from "../objects/rules.js";
import { parseSubject } from "../objects/subjects.js";
import { formatOutput, parseOutputFormat } from "../output.js";
import type { GlobalOptions } from "../target.js";

/** Flags of `auth can-i`. */
export interface CanIFlags {
  readonly namespace?: string;
  readonly apiGroup?: string;
  readonly as?: string;
  readonly asGroup?: string[];
  readonly quiet?: boolean;
}

/**
 * The question `can-i` asks. RESOURCE is `resource[/subresource]`, optionally with its group as
 * `resource.group` (e.g. `roles.rbac`); the group otherwise defaults to the resource's own.
 */
export function accessQuestion(verb: string, resourceArg: string, name: string | undefined, flags: CanIFlags): CheckAccessRequest {
  const match = /^([^./]+)(?:\.([^/]+))?(?:\/(.+))?$/.exec(resourceArg);
  if (!match) throw new UsageError(`invalid resource "${resourceArg}" (e.g. sessions, sessions/messages, roles.rbac)`);
  const [, resource = "", inlineGroup, subresource = ""] = match;
  if (inlineGroup && flags.apiGroup && inlineGroup !== flags.apiGroup) throw new UsageError(`${resourceArg} names group "${inlineGroup}" but --api-group says "${flags.apiGroup}"`);
  if (flags.asGroup?.length && !flags.as) throw new UsageError("--as-group needs --as");
  return create(CheckAccessRequestSchema, {
    verb,
    apiGroup: inlineGroup ?? flags.apiGroup ?? defaultApiGroup(resource),
    resource,
    subresource,
    namespace: flags.namespace ?? "",
    name: name ?? "",
    ...(flags.as ? { subject: parseSubject(flags.as), groups: flags.asGroup ?? [] } : {}),
  });
}

/** Asks the server whether the caller (or the subject in the request) may do it. */
export async function canI(conn: Connection, request: CheckAccessRequest): Promise<CheckAccessResponse> {
  return createClient(RbacService, conn.transport).checkAccess(request, { signal: conn.signal });
}

/** Adds `auth` and `auth can-i` to the program. */
export function configureAuthCommand(program: Command, io: Io): void {
  const auth = program.command("auth").description("inspect authorization");
  auth
    .command("can-i")
    .description("check whether an action is allowed: prints yes (exit 0) or no (exit 1); -o yaml shows why")
    .argument("<verb>", "get, list, watch, create, update, delete, escalate or bind")
    .argument("<resource>", "resource[/subresource], e.g. sessions, sessions/messages, secrets, roles (or resource.group)")
    .argument("[name]", "a particular object's name (default: any)")
    .option("-n, --namespace <namespace>", "the namespace to ask about (default: global access)")
    .option("--api-group <group>", "the API group (default: rbac for roles, rolebindings and accessreviews, audit for auditevents, else core)")
    .option("--as <subject>", "ask about another subject: ServiceAccount:team-a/alice, User:bob or Group:devs (needs create on rbac/accessreviews)")
    .option("--as-group <group>", "a group the --as subject belongs to (repeatable)", collect)
    .option("-q, --quiet", "print nothing; only the exit code answers")
    .addHelpText("after", "\nExamples:\n  raworc auth can-i create secrets -n team-a\n  raworc auth can-i create sessions/messages -n team-a --as ServiceAccount:team-a/alice")
    .action(async (verb: string, resource: string, name: string | undefined, flags: CanIFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const format = parseOutputFormat(globals.output, "table");
      const answer = await canI(await connect(globals, io), accessQuestion(verb, resource, name, flags));
      if (!flags.quiet) {
        io.stdout.write(format === "table" ? `${answer.allowed ? "yes" : "no"}\n` : formatOutput({ allowed: answer.allowed, reason: answer.reason }, format, () => ({ columns: [], rows: [] })));
      }
      if (!answer.allowed) throw new ExitCode(1);
    });
}
