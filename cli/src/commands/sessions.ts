/** `raworc sessions` (alias `session`): create, inspect, drive, watch, remix and delete sessions. */
import { toJson } from "@bufbuild/protobuf";
import { registry } from "@raworc/proto";
import { SessionEventSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { TurnSchema, type Session } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { InvalidArgumentError, type Command } from "commander";
import { connect } from "../connection.js";
import { ExitCode, UsageError, describeFailure } from "../errors.js";
import type { Io } from "../io.js";
import { outcomeLine } from "../objects/apply.js";
import { objectLabel, refOf, type Connection } from "../objects/kind.js";
import { sessionKind, stateName } from "../objects/kinds/session.js";
import { collect, collectList } from "../objects/labels.js";
import { renderObjects } from "../objects/render.js";
import { EventPrinter, eventLine, eventsTable, turnsTable } from "../objects/session-events.js";
import { followEvents, followReply } from "../objects/session-stream.js";
import { formatOutput, parseOutputFormat, type OutputFormat } from "../output.js";
import type { GlobalOptions } from "../target.js";
import { addGetCommand, objectGroupCommand, refFor, withNamespaceOption, type NamespaceFlags } from "./object-commands.js";
import { runObjectTasks } from "./run-objects.js";
import {
  cancelTurn,
  changeSession,
  decideToolCall,
  listEvents,
  listSessions,
  listTurns,
  parseStates,
  remixSession,
  sendMessage,
  sessionFromFlags,
  type CreateSessionFlags,
  type RemixFlags,
} from "./session-actions.js";

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("must be a whole number");
  return Number(value);
}

function seqNumber(value: string): bigint {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("must be a whole number");
  return BigInt(value);
}

async function setup(cmd: Command, io: Io): Promise<{ conn: Connection; format: OutputFormat }> {
  const globals = cmd.optsWithGlobals<GlobalOptions>();
  return { conn: await connect(globals, io), format: parseOutputFormat(globals.output, "table") };
}

/** Pauses, resumes or deletes each named session, reporting each outcome or failure; exit code 1 if any failed. */
async function runChanges(names: readonly string[], io: Io, cmd: Command, change: (conn: Connection, name: string) => Promise<{ session: Session; line: string }>): Promise<void> {
  const { conn, format } = await setup(cmd, io);
  const sessions: Session[] = [];
  let failures = 0;
  for (const name of names) {
    try {
      const { session, line } = await change(conn, name);
      if (format === "table") io.stdout.write(`${line}\n`);
      sessions.push(session);
    } catch (error) {
      if (error instanceof Error && error.name === "AbortError") throw error;
      failures++;
      io.stderr.write(`${describeFailure(error, io.env).message.replace(/^raworc: /, `raworc: session/${name}: `)}\n`);
    }
  }
  if (format !== "table" && sessions.length > 0) io.stdout.write(renderObjects(sessionKind, sessions, format, names.length === 1));
  if (failures > 0) throw new ExitCode(1);
}

function addCreate(group: Command, io: Io): void {
  const command = group
    .command("create")
    .description("create a session running one or more agents")
    .option("--agent <name>", "an agent of the session's namespace (repeatable; the first is the default)", collect)
    .option("--name <name>", "the session's name (default: generated)")
    .option("--prompt <text>", "a first message, sent once the session is ready")
    .option("--label <key=value>", "a label (repeatable)", collect)
    .option("--idle-timeout <duration>", "pause after this long without a message (e.g. 30m; 0s: never; default: the server's)")
    .option("--cpu <quantity>", "CPU, e.g. 500m or 2")
    .option("--memory <quantity>", "memory, e.g. 512Mi")
    .option("--storage <quantity>", "volume size, e.g. 10Gi")
    .addHelpText("after", "\nExample:\n  raworc sessions create --agent greeter --name demo --prompt 'Hello!'")
    .action(async (flags: CreateSessionFlags, cmd: Command) => {
      const { conn, format } = await setup(cmd, io);
      const stored = await sessionKind.create(conn, sessionFromFlags(flags), {});
      io.stdout.write(format === "table" ? `${outcomeLine({ kind: sessionKind, ref: refOf(stored), outcome: "created" })}\n` : renderObjects(sessionKind, [stored], format, true));
    });
  withNamespaceOption(command, sessionKind);
}

interface ListFlags extends NamespaceFlags {
  readonly allNamespaces?: boolean;
  readonly selector?: string;
  readonly state?: string[];
  readonly creator?: string;
  readonly parent?: string;
}

function addList(group: Command, io: Io): void {
  group
    .command("list")
    .alias("ls")
    .description("list sessions (in every namespace you may see unless -n is given); TERMINATED ones only with --state")
    .option("-n, --namespace <namespace>", "only this namespace")
    .option("-A, --all-namespaces", "every namespace you may see (the default)")
    .option("-l, --selector <selector>", "label selector, e.g. team=a,env!=prod")
    .option("--state <states>", "only these states, e.g. Ready,Busy or Terminated; all for every state (repeatable)", collectList)
    .option("--creator <username>", "only sessions this account created (name, or namespace/name)")
    .option("--parent <name>", "only sessions remixed from this session (needs -n)")
    .action(async (flags: ListFlags, cmd: Command) => {
      if (flags.allNamespaces && flags.namespace !== undefined) throw new UsageError("-n and -A exclude each other");
      const { conn, format } = await setup(cmd, io);
      const namespace = flags.allNamespaces ? "" : (flags.namespace ?? "");
      const sessions = await listSessions(conn, {
        namespace,
        labelSelector: flags.selector ?? "",
        states: parseStates(flags.state ?? []),
        creator: flags.creator ?? "",
        parent: flags.parent ?? "",
      });
      if (format === "table" && sessions.length === 0) {
        io.stderr.write(`No sessions found${namespace ? ` in namespace ${namespace}` : ""}.\n`);
        return;
      }
      io.stdout.write(renderObjects(sessionKind, sessions, format, false));
    });
}

function addLifecycle(group: Command, io: Io): void {
  const del = group
    .command("delete")
    .alias("rm")
    .description("delete sessions: stop the daemon, revoke its token and delete the volume (the record and events stay readable; the name is free once it is Terminated)")
    .argument("<name...>", "session names")
    .option("--retain-volume", "keep the volume, so the session can still be remixed")
    .action(async (names: string[], flags: NamespaceFlags & { retainVolume?: boolean }, cmd: Command) => {
      const { conn, format } = await setup(cmd, io);
      const tasks = names.map((name) => {
        const ref = refFor(sessionKind, name, flags.namespace);
        return {
          label: objectLabel(sessionKind, ref),
          run: async () => {
            const session = await changeSession(conn, ref, "delete", flags.retainVolume ?? false);
            return { kind: sessionKind, ref, outcome: stateName(session) === "Terminated" ? ("deleted" as const) : ("terminating" as const), object: session };
          },
        };
      });
      await runObjectTasks(tasks, io, format);
    });
  withNamespaceOption(del, sessionKind);

  for (const [change, description] of [
    ["pause", "pause sessions: stop the daemon and keep the volume (a message or resume starts it again)"],
    ["resume", "resume paused or failed sessions on the same volume"],
  ] as const) {
    const command = group
      .command(change)
      .description(description)
      .argument("<name...>", "session names")
      .action(async (names: string[], flags: NamespaceFlags, cmd: Command) => {
        await runChanges(names, io, cmd, async (conn, name) => {
          const session = await changeSession(conn, refFor(sessionKind, name, flags.namespace), change);
          return { session, line: `session/${name} ${change} requested (state: ${stateName(session)})` };
        });
      });
    withNamespaceOption(command, sessionKind);
  }

  const remix = group
    .command("remix")
    .description("create a session that continues from another's state at the end of a turn (default: its latest): a copy of its conversation and files")
    .argument("<source>", "the session to remix")
    .option("--name <name>", "the new session's name (default: generated)")
    .option("--label <key=value>", "a label of the new session (repeatable; the source's are not copied)", collect)
    .option("--prompt <text>", "a first message for the new session")
    .option("--at-turn <n>", "the source's turn to start from: any ended turn with a checkpoint (see sessions history)", wholeNumber)
    .action(async (source: string, flags: RemixFlags, cmd: Command) => {
      const { conn, format } = await setup(cmd, io);
      const session = await remixSession(conn, source, flags);
      const meta = session.metadata;
      if (format !== "table") io.stdout.write(renderObjects(sessionKind, [session], format, true));
      else {
        const checkpoint = session.lineage?.checkpointId ? `, checkpoint ${session.lineage.checkpointId.slice(0, 12)}` : "";
        io.stdout.write(`session/${meta?.name} created in namespace ${meta?.namespace} (remix of ${source} at turn ${session.lineage?.parentTurn ?? 0}${checkpoint})\n`);
      }
    });
  withNamespaceOption(remix, sessionKind);
}

function addMessaging(group: Command, io: Io): void {
  const send = group
    .command("send")
    .description("send a message and print the reply as it streams (a paused session is resumed first)")
    .argument("<name>", "the session")
    .argument("<text>", "the message")
    .option("--agent <name>", "address this agent of the session (default: routing chooses)")
    .option("--no-wait", "only send; do not wait for the reply")
    .option("--idempotency-key <key>", "a key that makes a retry of this send safe")
    .action(async (name: string, text: string, flags: NamespaceFlags & { agent?: string; wait: boolean; idempotencyKey?: string }, cmd: Command) => {
      const { conn, format } = await setup(cmd, io);
      const ref = refFor(sessionKind, name, flags.namespace);
      const message = await sendMessage(conn, ref, text, flags.agent ?? "", flags.idempotencyKey ?? "");
      if (!flags.wait) {
        const json = { messageId: message.messageId, seq: String(message.seq) };
        io.stdout.write(format === "table" ? `message ${message.messageId} sent to session/${name} (seq ${message.seq})\n` : formatOutput(json, format, () => ({ columns: [], rows: [] })));
        return;
      }
      const printer = new EventPrinter((chunk) => io.stdout.write(chunk));
      let wrote = false;
      const outcome = await followReply(
        conn,
        ref,
        message,
        (chunk) => {
          wrote = true;
          printer.text(chunk);
        },
        (event) => {
          if (event.payload.case === "usage") return;
          printer.endLine();
          io.stderr.write(`${eventLine(event)}\n`);
        },
      );
      if (wrote) printer.endLine();
      if (outcome.outcome !== "completed") throw new UsageError(`turn ${outcome.turn} ${outcome.outcome}: ${outcome.reason}`);
    });
  withNamespaceOption(send, sessionKind);

  const cancel = group
    .command("cancel")
    .description("stop the session's running turn (its model stream and running tools); the turn ends cancelled and the session stays usable")
    .argument("<name>", "the session")
    .option("--turn <n>", "cancel only if this turn is the running one", wholeNumber)
    .option("--reason <text>", "why, recorded in the TurnCancelled event and the audit log", "")
    .action(async (name: string, flags: NamespaceFlags & { turn?: number; reason: string }, cmd: Command) => {
      const { conn, format } = await setup(cmd, io);
      const turn = await cancelTurn(conn, refFor(sessionKind, name, flags.namespace), flags.reason, flags.turn);
      if (format !== "table") io.stdout.write(formatOutput({ turn }, format, () => ({ columns: [], rows: [] })));
      else io.stdout.write(turn === 0 ? `session/${name}: no turn was running\n` : `session/${name}: turn ${turn} asked to stop\n`);
    });
  withNamespaceOption(cancel, sessionKind);

  const watch = group
    .command("watch")
    .description("print a session's events as they happen (reply text inline) until it is deleted; -o json prints one event per line")
    .argument("<name>", "the session")
    .option("--from-seq <n>", "start after this event (default 0: replay everything first)", seqNumber, 0n)
    .action(async (name: string, flags: NamespaceFlags & { fromSeq: bigint }, cmd: Command) => {
      const { conn, format } = await setup(cmd, io);
      const printer = new EventPrinter((chunk) => io.stdout.write(chunk));
      await followEvents(conn, refFor(sessionKind, name, flags.namespace), flags.fromSeq, (event) => {
        if (format === "table") printer.print(event);
        else io.stdout.write(`${JSON.stringify(toJson(SessionEventSchema, event, { registry }))}\n`);
      });
      printer.endLine();
    });
  withNamespaceOption(watch, sessionKind);

  const events = group
    .command("events")
    .description("list a session's stored events")
    .argument("<name>", "the session")
    .option("--from-seq <n>", "only events after this one", seqNumber, 0n)
    .option("--turn <n>", "only events of this turn", wholeNumber)
    .option("--limit <n>", "at most this many events (0: all)", wholeNumber, 0)
    .action(async (name: string, flags: NamespaceFlags & { fromSeq: bigint; turn?: number; limit: number }, cmd: Command) => {
      const { conn, format } = await setup(cmd, io);
      const list = await listEvents(conn, refFor(sessionKind, name, flags.namespace), { fromSeq: flags.fromSeq, limit: flags.limit, ...(flags.turn === undefined ? {} : { turn: flags.turn }) });
      const json = { events: list.map((e) => toJson(SessionEventSchema, e, { registry })) };
      io.stdout.write(formatOutput(json, format, () => eventsTable(list)));
    });
  withNamespaceOption(events, sessionKind);

  const history = group
    .command("history")
    .description("list a session's turns: agent, outcome, timing, tokens, checkpoint (remix --at-turn can start there) and the message each answered")
    .argument("<name>", "the session")
    .action(async (name: string, flags: NamespaceFlags, cmd: Command) => {
      const { conn, format } = await setup(cmd, io);
      const turns = await listTurns(conn, refFor(sessionKind, name, flags.namespace));
      if (format === "table" && turns.length === 0) {
        io.stderr.write(`No turns yet in session ${name}.\n`);
        return;
      }
      const json = { turns: turns.map((t) => toJson(TurnSchema, t, { registry })) };
      io.stdout.write(formatOutput(json, format, () => turnsTable(turns)));
    });
  withNamespaceOption(history, sessionKind);
}

function addApprovals(group: Command, io: Io): void {
  for (const approve of [true, false]) {
    const verb = approve ? "approve" : "deny";
    const command = group
      .command(verb)
      .description(approve ? "approve a tool call waiting for approval: it runs" : "deny a tool call waiting for approval: it does not run, and the agent is told")
      .argument("<name>", "the session")
      .argument("<tool-call-id>", "the waiting call (see `sessions get`, or the approval request in `sessions watch`)")
      .option("--reason <text>", "why, recorded with the decision")
      .action(async (name: string, toolCallId: string, flags: NamespaceFlags & { reason?: string }, cmd: Command) => {
        const { conn } = await setup(cmd, io);
        await decideToolCall(conn, refFor(sessionKind, name, flags.namespace), toolCallId, approve, flags.reason ?? "");
        io.stdout.write(`tool call ${toolCallId} ${approve ? "approved" : "denied"} in session/${name}\n`);
      });
    withNamespaceOption(command, sessionKind);
  }
}

/** Adds `sessions` and its subcommands to the program. */
export function configureSessionsCommand(program: Command, io: Io): void {
  const group = objectGroupCommand(program, sessionKind, "manage sessions: running agents with their own runtime and volume; send messages, watch, pause, resume, remix");
  addCreate(group, io);
  addGetCommand(group, io, sessionKind);
  addList(group, io);
  addLifecycle(group, io);
  addMessaging(group, io);
  addApprovals(group, io);
}
