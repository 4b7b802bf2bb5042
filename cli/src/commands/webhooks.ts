/** `raworc webhooks` (aliases `webhook`, `wh`): endpoints that hear about sessions, their deliveries, replays and secret rotation. */
import { create, toJson } from "@bufbuild/protobuf";
import { durationFromMs, timestampDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { registry } from "@raworc/proto";
import {
  ListWebhookDeliveriesResponseSchema,
  WebhookDeliveryState,
  WebhookDeliveryStateSchema,
  WebhookSchema,
  WebhookService,
  WebhookSpecSchema,
  type ListWebhookDeliveriesResponse,
  type Webhook,
} from "@raworc/proto/gen/raworc/v1/webhook_pb.js";
import type { Command } from "commander";
import { connect } from "../connection.js";
import { formatAge, parseDuration } from "../durations.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { createObject, editObject, flagObject } from "../objects/apply.js";
import { enumChoices, enumShortName, parseEnum } from "../objects/enums.js";
import type { Connection, ObjectRefText } from "../objects/kind.js";
import { webhookKind } from "../objects/kinds/index.js";
import { secretNotice } from "../objects/kinds/webhook.js";
import { applyLabelEdits, collect, parseLabelFlags } from "../objects/labels.js";
import { formatOutput, parseOutputFormat, type Table } from "../output.js";
import type { GlobalOptions } from "../target.js";
import {
  addApplyCommand,
  addDeleteCommand,
  addGetCommand,
  addListCommand,
  namespaceFor,
  objectGroupCommand,
  refFor,
  runFileCommand,
  withFileOptions,
  withNamespaceOption,
  type FileFlags,
  type NamespaceFlags,
} from "./object-commands.js";
import { runObjectTasks } from "./run-objects.js";

/** Flags of `webhooks create NAME` and `webhooks update NAME`. */
export interface WebhookFlags extends NamespaceFlags {
  readonly url?: string;
  readonly event?: string[];
  readonly selector?: string;
  readonly timeout?: string;
  readonly disable?: boolean;
  readonly enable?: boolean;
  readonly label?: string[];
}

const client = (conn: Connection) => createClient(WebhookService, conn.transport);

/** The webhook `webhooks create NAME` sends. */
export function webhookFromFlags(name: string, flags: WebhookFlags): Webhook {
  if (!flags.url) throw new UsageError("give the receiver's --url");
  return create(WebhookSchema, {
    metadata: { name, namespace: namespaceFor(webhookKind, flags.namespace), labels: parseLabelFlags(flags.label ?? []).set },
    spec: {
      url: flags.url,
      eventTypes: flags.event?.length ? flags.event : ["*"],
      sessionSelector: flags.selector ?? "",
      disabled: flags.disable ?? false,
      ...(flags.timeout ? { timeout: durationFromMs(parseDuration(flags.timeout)) } : {}),
    },
  });
}

/** Changes what the flags name; everything else keeps its stored value. */
export async function updateWebhook(conn: Connection, ref: ObjectRefText, flags: WebhookFlags) {
  if (flags.enable && flags.disable) throw new UsageError("--enable and --disable exclude each other");
  const labels = parseLabelFlags(flags.label ?? [], true);
  return editObject(conn, webhookKind, ref, (object) => {
    const webhook = object as Webhook;
    const spec = (webhook.spec ??= create(WebhookSpecSchema));
    if (flags.url !== undefined) spec.url = flags.url;
    if (flags.event?.length) spec.eventTypes = flags.event;
    if (flags.selector !== undefined) spec.sessionSelector = flags.selector;
    if (flags.timeout !== undefined) spec.timeout = durationFromMs(parseDuration(flags.timeout));
    if (flags.enable) spec.disabled = false;
    if (flags.disable) spec.disabled = true;
    if (webhook.metadata) webhook.metadata.labels = applyLabelEdits(webhook.metadata.labels, labels);
  });
}

/** The deliveries table: newest first, with the last attempt's answer. */
export function deliveriesTable(res: ListWebhookDeliveriesResponse, now = new Date()): Table {
  return {
    columns: ["id", "event", "session", "state", "attempts", "last", "age"],
    rows: res.deliveries.map((d) => {
      const last = d.attempts.at(-1);
      return [
        d.id,
        `${d.eventType}#${d.eventSeq}`,
        d.session?.name ?? "",
        enumShortName(WebhookDeliveryStateSchema, d.state),
        d.attempts.length,
        last ? last.error || `HTTP ${last.statusCode}` : d.message || "-",
        formatAge(d.createdAt ? timestampDate(d.createdAt) : undefined, now),
      ];
    }),
  };
}

/** Every page of a webhook's deliveries (in one state, or all), newest first. */
export async function listDeliveries(conn: Connection, ref: ObjectRefText, state: WebhookDeliveryState): Promise<ListWebhookDeliveriesResponse> {
  const all = create(ListWebhookDeliveriesResponseSchema);
  let pageToken = "";
  do {
    const page = await client(conn).listWebhookDeliveries({ ref, state, pageSize: 500, pageToken }, { signal: conn.signal });
    all.deliveries.push(...page.deliveries);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return all;
}

interface OutputFlags extends NamespaceFlags {
  readonly state?: string;
  readonly grace?: string;
}

const example = [
  "",
  "Event types: session.state_changed, turn.started, turn.completed, turn.failed, turn.cancelled,",
  "approval.requested, approval.resolved, guardrail.decision; group.* or * for several.",
  "",
  "Examples:",
  "  raworc webhooks create ci -n team-a --url https://ci.example.com/raworc --event 'turn.*' --event approval.requested",
  "  raworc webhooks deliveries ci -n team-a --state failed",
  "  raworc webhooks replay ci <delivery-id> -n team-a",
  "  raworc webhooks rotate-secret ci -n team-a --grace 24h",
].join("\n");

function withSpecOptions(command: Command): Command {
  return command
    .option("--url <url>", "where deliveries are POSTed (http:// or https://)")
    .option("--event <type>", "an event type, group.* or * (repeatable; default *)", collect)
    .option("--selector <selector>", "only sessions whose labels match, e.g. env=prod")
    .option("--timeout <duration>", "time limit of one attempt, e.g. 5s (default: the server's, 15s)");
}

/** Adds `webhooks` and its subcommands to the program. */
export function configureWebhooksCommand(program: Command, io: Io): void {
  const group = objectGroupCommand(program, webhookKind, "manage webhooks: Standard Webhooks deliveries of session events to your endpoints");

  const createCommand = withSpecOptions(group.command("create").description("create a webhook from flags, or webhooks from -f files; shows its signing secret once").argument("[name]", "the webhook's name"))
    .option("--disable", "create it disabled")
    .option("--label <key=value>", "a label (repeatable)", collect)
    .addHelpText("after", example)
    .action(async (name: string | undefined, flags: WebhookFlags & FileFlags, cmd: Command) => {
      if (flags.filename?.length) {
        if (name !== undefined) throw new UsageError("give either a NAME or -f FILE, not both");
        return runFileCommand(flags, cmd, io, webhookKind, "create");
      }
      if (name === undefined) throw new UsageError("give the webhook's NAME, or -f FILE");
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const item = flagObject(webhookKind, webhookFromFlags(name, flags));
      const conn = await connect(globals, io);
      await runObjectTasks([{ label: item.origin, run: () => createObject(conn, item) }], io, parseOutputFormat(globals.output, "table"));
    });
  withNamespaceOption(createCommand, webhookKind);
  withFileOptions(createCommand, webhookKind);

  addGetCommand(group, io, webhookKind);
  addListCommand(group, io, webhookKind);

  const update = withSpecOptions(group.command("update").description("change a webhook's URL, event types, selector, timeout or labels, or --enable/--disable it; you become its owner").argument("<name>", "the webhook's name"))
    .option("--enable", "enable it (also after the server disabled it)")
    .option("--disable", "disable it; pending deliveries are cancelled")
    .option("--label <key=value|key->", "set a label, or remove one with key- (repeatable)", collect)
    .action(async (name: string, flags: WebhookFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const conn = await connect(globals, io);
      const ref = refFor(webhookKind, name, flags.namespace);
      await runObjectTasks([{ label: `webhook/${name}`, run: () => updateWebhook(conn, ref, flags) }], io, parseOutputFormat(globals.output, "table"));
    });
  withNamespaceOption(update, webhookKind);

  addApplyCommand(group, io, webhookKind);
  addDeleteCommand(group, io, webhookKind);

  const deliveries = group
    .command("deliveries")
    .description("list a webhook's deliveries, newest first, with their attempts (-o yaml shows every attempt)")
    .argument("<name>", "the webhook's name")
    .option("--state <state>", `only deliveries in this state (${enumChoices(WebhookDeliveryStateSchema).join(", ")})`)
    .action(async (name: string, flags: OutputFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const format = parseOutputFormat(globals.output, "table");
      const state = flags.state ? (parseEnum(WebhookDeliveryStateSchema, flags.state, "delivery state") as WebhookDeliveryState) : WebhookDeliveryState.UNSPECIFIED;
      const res = await listDeliveries(await connect(globals, io), refFor(webhookKind, name, flags.namespace), state);
      if (format === "table" && res.deliveries.length === 0) {
        io.stderr.write("No deliveries found.\n");
        return;
      }
      io.stdout.write(formatOutput(toJson(ListWebhookDeliveriesResponseSchema, res, { registry }), format, () => deliveriesTable(res)));
    });
  withNamespaceOption(deliveries, webhookKind);

  const replay = group
    .command("replay")
    .description("send a delivery again (same body and webhook-id) as a new delivery")
    .argument("<name>", "the webhook's name")
    .argument("<delivery-id>", "the delivery's id, from `raworc webhooks deliveries`")
    .action(async (name: string, deliveryId: string, flags: NamespaceFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const conn = await connect(globals, io);
      const res = await client(conn).replayWebhookDelivery({ ref: refFor(webhookKind, name, flags.namespace), deliveryId }, { signal: conn.signal });
      io.stdout.write(`delivery ${res.delivery?.id ?? ""} queued (replays ${deliveryId})\n`);
    });
  withNamespaceOption(replay, webhookKind);

  const rotate = group
    .command("rotate-secret")
    .description("make a new signing secret and show it once; the old one keeps signing beside it for the grace period")
    .argument("<name>", "the webhook's name")
    .option("--grace <duration>", "how long the old secret still signs, e.g. 24h (default 24h; 0s drops it at once)")
    .action(async (name: string, flags: OutputFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const conn = await connect(globals, io);
      const grace = flags.grace === undefined ? undefined : durationFromMs(flags.grace === "0" ? 0 : parseDuration(flags.grace));
      const res = await client(conn).rotateWebhookSecret({ ref: refFor(webhookKind, name, flags.namespace), ...(grace ? { gracePeriod: grace } : {}) }, { signal: conn.signal });
      io.stdout.write(`webhook/${name} secret rotated\n${secretNotice(res.signingSecret)}\n`);
    });
  withNamespaceOption(rotate, webhookKind);
}
