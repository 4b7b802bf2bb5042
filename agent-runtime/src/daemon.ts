/**
 * The daemon, wired: opens the volume's state, repairs what a crash left, attaches to the
 * control plane, turns work items into turns, and stops on Shutdown or a signal (closing the
 * agents' MCP servers). It only orchestrates; the logic lives in channel/, state/, turns/,
 * models/ and tools/.
 */
import { randomUUID } from "node:crypto";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { daemonExitCodes as exitCodes } from "@raworc/contract";
import type { Agent } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { ShutdownReason, type SecretValues } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { AttachChannel, type ChannelEnd } from "./channel/attach-channel.js";
import type { ConnectionHandlers } from "./channel/attach-connection.js";
import { outboxEventSink } from "./channel/event-sink.js";
import { Outbox } from "./channel/outbox.js";
import { WorkLedger } from "./channel/work-ledger.js";
import type { DaemonConfig } from "./config.js";
import { describeError, TurnCancelledError, type VolumeFullError } from "./errors.js";
import type { Logger } from "./logger.js";
import { createModelFactory } from "./models/create-model.js";
import { checkpointEndedTurn, recoverCheckpoints, type CheckpointRecorderOptions } from "./state/checkpoint-recorder.js";
import { CheckpointStore } from "./state/checkpoint-store.js";
import { ConversationLog } from "./state/conversation-log.js";
import { SessionTools } from "./tools/session-tools.js";
import { DaemonStateStore, readDaemonState } from "./state/daemon-state.js";
import { ensureVolumeLayout, volumeLayout } from "./state/layout.js";
import { isVolumeFull, VolumeReserve } from "./state/volume-reserve.js";
import { adoptRemixCopy } from "./turns/adopt-remix.js";
import { ApprovalBroker } from "./turns/approvals.js";
import { recoverTurns } from "./turns/recovery.js";
import { TurnLoop } from "./turns/turn-loop.js";
import { applyWorkItem } from "./turns/work-items.js";
import { startDaemonTracing } from "./telemetry/daemon-tracing.js";
import { rememberTraceparent } from "./telemetry/spans.js";

/** The daemon's version, reported in Hello. */
export const daemonVersion = "0.1.0";

/** A running daemon. */
export interface Daemon {
  /** Stops like Shutdown(PAUSE): cancel the running turn, flush, Goodbye; `graceMs` bounds it. */
  stop(graceMs: number): void;
  /** Resolves with the process exit code once the daemon has stopped. */
  readonly done: Promise<number>;
}

/** Opens the volume and starts the daemon; rejects only if the volume's state cannot be trusted. */
export async function startDaemon(config: DaemonConfig, log: Logger): Promise<Daemon> {
  const layout = volumeLayout(config.workspace);
  await ensureVolumeLayout(layout);
  // Spent when a write of the daemon's own fails for space: the running turn then fails as VolumeFull.
  // (During start-up no turn runs yet; the turn loop is wired in below.)
  let failRunningTurn: (error: VolumeFullError) => void = () => undefined;
  const reserve = new VolumeReserve({ file: layout.reserveFile, workspace: layout.workspace, log, onReleased: (error) => failRunningTurn(error) });
  await reserve.ensure();
  const onDisk = await readDaemonState(layout.stateFile);
  const conversation = await ConversationLog.open(layout.conversationFile, reserve.guard);
  const instance = { id: randomUUID(), pid: process.pid, startedAt: new Date().toISOString(), daemonVersion };
  // Whose state the volume holds: ours (restart, resume), nobody's (fresh), or another session's (a remix copy).
  let own = onDisk?.sessionId === config.sessionId;
  const fresh = onDisk === undefined && conversation.entries.length === 0;
  let resumed = own;
  const state = new DaemonStateStore(layout.stateFile, {
    sessionId: onDisk?.sessionId ?? config.sessionId,
    lastDaemonSeq: own && onDisk ? onDisk.lastDaemonSeq : 0n,
    lastAckedDaemonSeq: own && onDisk ? onDisk.lastAckedDaemonSeq : 0n,
    lastAppliedControlSeq: own && onDisk ? onDisk.lastAppliedControlSeq : 0n,
    instance,
    restoredFrom: onDisk?.restoredFrom,
  }, reserve.guard);
  const outbox = await Outbox.open(layout.outbox, {
    floor: state.state.lastDaemonSeq,
    log,
    guard: reserve.guard,
    persistSeqs: (acked, lastSeq) => state.update({ lastAckedDaemonSeq: acked, lastDaemonSeq: lastSeq }),
  });
  const sink = outboxEventSink(outbox);
  const checkpoints: CheckpointRecorderOptions = { store: await CheckpointStore.open(layout.checkpoints), conversation, outbox, workspace: layout.workspace, log };
  if (own || fresh) {
    own = true;
    await state.update({ sessionId: config.sessionId, instance });
    await recoverTurns(conversation, outbox, sink, log);
    await recoverCheckpoints(checkpoints);
  }
  const ledger = new WorkLedger({
    lastApplied: own ? [state.state.lastAppliedControlSeq, conversation.lastControlSeq()].reduce((a, b) => (a > b ? a : b)) : 0n,
    record: (seq) => state.update({ lastAppliedControlSeq: seq }),
  });
  log.info({ resumed, fresh, remixCopy: !own, lastDaemonSeq: outbox.lastSeq.toString(), pending: outbox.size, turns: conversation.lastAssignedTurn() }, "volume opened");

  let agents: readonly Agent[] = [];
  let secrets: Readonly<Record<string, SecretValues>> = {};
  let stopping: Promise<void> | undefined;
  let fatal: unknown;
  const secret = (name: string, key: string): string | undefined => secrets[name]?.data[key];
  const models = createModelFactory({ log, secret });
  const sessionTools = new SessionTools({ workspace: config.workspace, secret });
  const approvals = new ApprovalBroker();
  const turns = new TurnLoop({
    conversation,
    sink,
    models,
    agents: () => agents,
    log,
    onTurnEnded: (turn) => checkpointEndedTurn(turn, checkpoints),
    beforeTurn: () => reserve.ensure(),
    sessionTools,
    approvals,
    secrets: { value: secret, values: () => Object.values(secrets).flatMap((values) => Object.values(values.data)) },
    onFatal: (error) => {
      fatal = error;
      channel.stop();
    },
  });
  failRunningTurn = (error) => turns.cancel(0, error);

  const stop = (reason: "Paused" | "Terminating", goodbye: string, graceMs: number): void => {
    if (stopping) return;
    const deadline = Date.now() + Math.max(0, graceMs - Math.min(1000, graceMs / 10));
    log.info({ reason, graceMs }, "stopping");
    stopping = turns.stop(new TurnCancelledError(reason)).then(
      () => channel.finish(goodbye, deadline),
      (error: unknown) => {
        fatal = error;
        channel.stop();
      },
    );
  };

  const handlers: ConnectionHandlers = {
    hello: () => ({ resumed, lastDaemonSeq: own ? outbox.lastSeq : 0n, lastAckedControlSeq: ledger.lastApplied }),
    async welcome(welcome) {
      agents = welcome.agents;
      secrets = welcome.secrets;
      if (!own) {
        await adoptRemixCopy({
          sessionId: config.sessionId,
          conversation,
          outbox,
          state,
          checkpoints: checkpoints.store,
          workspace: layout.workspace,
          restore: welcome.restore,
          copiedFrom: onDisk?.sessionId,
          log,
        });
        own = true;
      } else if (welcome.restore && !state.state.restoredFrom) {
        log.warn({ parent: welcome.restore.parentSessionId }, "Welcome asks to restore a remix, but the volume already holds this session; nothing restored");
      }
      // From now on the volume holds this session's state: a reconnect is a resume.
      resumed = true;
      if (!stopping) turns.start();
    },
    ready: () => ({ lastTurn: conversation.lastEndedTurn(), activeTurn: turns.activeTurn }),
    async workItem(seq, item) {
      if (stopping) return;
      if (item.item.case === "userMessage") rememberTraceparent(item.item.value.messageId, item.traceparent);
      await ledger.receive(seq, () => applyWorkItem(seq, item.item, { conversation, turns, log, approvals }));
    },
    shutdown(shutdown) {
      const terminate = shutdown.reason === ShutdownReason.TERMINATE;
      const graceMs = shutdown.gracePeriod ? durationMs(shutdown.gracePeriod) : config.signalGraceMs;
      stop(terminate ? "Terminating" : "Paused", "Shutdown", graceMs);
    },
  };

  const channel = new AttachChannel({
    url: config.controlPlaneUrl,
    token: config.token,
    sessionId: config.sessionId,
    instanceId: instance.id,
    daemonVersion,
    outbox,
    acked: () => ledger.lastApplied,
    handlers,
    log,
  });

  // Spans leave over the Attach stream; the control plane exports them (see telemetry/daemon-tracing.ts).
  const tracing = config.traces ? await startDaemonTracing((otlpJson) => channel.sendSpans(otlpJson), log) : undefined;
  const done = channel.run().then(async (end: ChannelEnd) => {
    // The outbox keeps what could not be sent; a successor (with a new token) sends it.
    if (end === "terminated") await turns.stop(new TurnCancelledError("Terminating")).catch(() => undefined);
    if (end === "refused") await turns.stop(new TurnCancelledError("Paused")).catch(() => undefined);
    await stopping;
    // MCP servers started for the agents (stdio child processes) stop with the daemon.
    await sessionTools.close();
    await tracing?.shutdown();
    if (fatal !== undefined) {
      log.fatal({ err: describeError(fatal) }, "daemon failed");
      // Distinct, so the control plane fails the session as VolumeFull instead of restarting it into the same wall.
      return isVolumeFull(fatal) ? exitCodes.volumeFull : exitCodes.fatal;
    }
    log.info({ end, unacknowledged: outbox.size }, "daemon stopped");
    return end === "refused" ? exitCodes.refused : exitCodes.ok;
  });

  return {
    stop: (graceMs) => stop("Paused", "Signal", graceMs),
    done,
  };
}
