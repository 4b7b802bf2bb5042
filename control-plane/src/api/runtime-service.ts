/**
 * RuntimeService: the session daemon's attach stream. Authentication (a session token) happens
 * in the authorization interceptor; the protocol lives in sessions/attach/.
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { RuntimeService } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { kDaemon } from "../context.js";
import { createLogger, type Logger } from "../logger.js";
import { AttachConnection, type AttachDependencies } from "../sessions/attach/attach-connection.js";
import { AttachRegistry } from "../sessions/attach/attach-registry.js";
import { resolveAttachOptions, type AttachOptions } from "../sessions/attach/options.js";
import type { Notifier } from "../sessions/notifier.js";
import { SessionStore } from "../sessions/session-store.js";
import { AgentStore } from "../store/agents.js";
import type { Orm } from "../store/orm.js";
import type { SecretStore } from "../store/secrets.js";

/** What the attach handler needs. */
export interface RuntimeServiceDependencies {
  readonly orm: Orm;
  readonly secrets: Pick<SecretStore, "readData">;
  /** Hints that a session changed (work queued, desired state); without it, streams only poll. */
  readonly notifier?: Pick<Notifier, "subscribe" | "publishStored">;
  /** Aborted when the server stops: every stream ends UNAVAILABLE, so daemons reconnect (to another replica if there is one). */
  readonly stopping?: AbortSignal;
  readonly logger?: Logger;
  readonly options?: Partial<AttachOptions>;
  /** Where daemons' finished spans go (tracing on); absent, they are dropped. */
  readonly forwardSpans?: ((otlpJson: Uint8Array) => void) | undefined;
}

/** Creates the RuntimeService implementation. */
export function createRuntimeService(deps: RuntimeServiceDependencies): ServiceImpl<typeof RuntimeService> {
  const registry = new AttachRegistry(deps.notifier);
  if (deps.stopping?.aborted) registry.close();
  deps.stopping?.addEventListener("abort", () => registry.close(), { once: true });
  const shared: AttachDependencies = {
    sessions: new SessionStore(deps.orm),
    welcome: { agents: new AgentStore(deps.orm), secrets: deps.secrets },
    registry,
    logger: deps.logger ?? createLogger("silent"),
    options: resolveAttachOptions(deps.options),
    ...(deps.notifier ? { notifier: deps.notifier } : {}),
    ...(deps.forwardSpans ? { forwardSpans: deps.forwardSpans } : {}),
  };
  return {
    async *attach(requests, context) {
      const daemon = context.values.get(kDaemon);
      if (!daemon) throw new ConnectError("a session token is required", Code.Unauthenticated);
      yield* new AttachConnection(shared, daemon, context.signal).run(requests);
    },
  };
}
