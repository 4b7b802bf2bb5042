/**
 * The `kubernetes` SessionRuntime: per session a PVC (the volume, which outlives pauses), a
 * Secret with the daemon token and a Pod, the last two owned by the PVC. Every method is
 * idempotent and safe to repeat after a crash half-way through.
 */
import type { Logger } from "../../logger.js";
import type { RuntimeObservation, SessionLaunch, SessionRuntime } from "../session-runtime.js";
import type { KubernetesClients } from "./client.js";
import { ApiCaller } from "./idempotent-calls.js";
import { SESSIONS_SELECTOR, assertSessionId, sessionIdOf } from "./names.js";
import { resolveKubernetesRuntimeOptions, type KubernetesRuntimeOptions, type ResolvedKubernetesRuntimeOptions } from "./options.js";
import { observeSession } from "./pod-observation.js";
import { runPodWatch } from "./pod-watcher.js";
import { SessionPods } from "./session-pods.js";
import { SessionVolumes } from "./session-volumes.js";
import { volumeOwnerReference } from "./volume-manifests.js";

/** The runtime's options plus an optional logger. */
export interface KubernetesSessionRuntimeOptions extends KubernetesRuntimeOptions {
  readonly logger?: Pick<Logger, "warn" | "debug">;
}

/** Runs each session's daemon as a hardened Pod on a PersistentVolumeClaim. */
export class KubernetesSessionRuntime implements SessionRuntime {
  readonly kind = "kubernetes" as const;
  private readonly options: ResolvedKubernetesRuntimeOptions;
  private readonly closing = new AbortController();
  private readonly watches = new Set<Promise<void>>();
  private readonly volumes: SessionVolumes;
  private readonly pods: SessionPods;
  private readonly logger: Pick<Logger, "warn" | "debug"> | undefined;
  private readonly api: ApiCaller;

  constructor(
    private readonly clients: KubernetesClients,
    options: KubernetesSessionRuntimeOptions,
  ) {
    this.options = resolveKubernetesRuntimeOptions(options);
    this.logger = options.logger;
    this.api = new ApiCaller(this.options.retry, this.closing.signal);
    this.volumes = new SessionVolumes(clients, this.api, this.options);
    this.pods = new SessionPods(clients, this.api, this.options, this.closing.signal, this.logger);
  }

  /** Creates the session's PVC unless it exists; `from` clones another session's PVC. */
  async ensureVolume(sessionId: string, options: { readonly from?: string; readonly storage?: string } = {}): Promise<void> {
    assertSessionId(sessionId);
    await this.volumes.ensure(sessionId, options.from, options.storage);
  }

  /** Starts the session's pod (and token Secret) unless a live pod exists; the volume must exist. */
  async start(launch: SessionLaunch): Promise<void> {
    assertSessionId(launch.sessionId);
    const volume = await this.volumes.read(launch.sessionId);
    if (!volume) throw new Error(`session ${launch.sessionId} has no volume: ensureVolume first`);
    if (volume.metadata?.deletionTimestamp) throw new Error(`the volume of session ${launch.sessionId} is being deleted`);
    await this.volumes.releaseRemixSnapshot(launch.sessionId, volume);
    await this.pods.start(launch, volumeOwnerReference(volume));
  }

  /** Deletes the session's pod with grace and waits for it (bounded); the PVC and Secret stay. */
  async stop(sessionId: string, options: { readonly graceMs?: number } = {}): Promise<void> {
    assertSessionId(sessionId);
    const graceSeconds = options.graceMs === undefined ? this.options.terminationGracePeriodSeconds : Math.ceil(options.graceMs / 1000);
    await this.pods.stop(sessionId, graceSeconds);
  }

  /** Deletes the pod, then the Secret, any remix snapshot and the PVC. */
  async destroy(sessionId: string): Promise<void> {
    assertSessionId(sessionId);
    await this.pods.stop(sessionId, this.options.terminationGracePeriodSeconds);
    await this.pods.deleteTokenSecret(sessionId);
    await this.volumes.delete(sessionId);
  }

  /** The session's volume and pod as the API server reports them now. */
  async observe(sessionId: string): Promise<RuntimeObservation> {
    assertSessionId(sessionId);
    const [volume, pod] = await Promise.all([this.volumes.read(sessionId), this.pods.read(sessionId)]);
    return observeSession(sessionId, volume, pod);
  }

  /** Every session with a pod, PVC, token Secret or remix snapshot in the namespace. */
  async list(): Promise<RuntimeObservation[]> {
    const { api } = this;
    const { core } = this.clients;
    const selector = { namespace: this.options.namespace, labelSelector: SESSIONS_SELECTOR };
    const [pods, volumes, secrets, snapshotSessions] = await Promise.all([
      api.call("list pods", () => core.listNamespacedPod(selector)),
      api.call("list pvcs", () => core.listNamespacedPersistentVolumeClaim(selector)),
      api.call("list secrets", () => core.listNamespacedSecret(selector)),
      this.volumes.listSnapshotSessionIds(SESSIONS_SELECTOR),
    ]);
    const ids = new Set([...[...pods.items, ...volumes.items, ...secrets.items].flatMap((item) => sessionIdOf(item) ?? []), ...snapshotSessions]);
    return [...ids].sort().map((sessionId) =>
      observeSession(
        sessionId,
        volumes.items.find((volume) => sessionIdOf(volume) === sessionId),
        pods.items.find((pod) => sessionIdOf(pod) === sessionId),
      ),
    );
  }

  /** Watches session pods (list, watch from its resourceVersion, relist on 410) until `signal` aborts or close(). */
  watch(onChange: (sessionId: string) => void, signal: AbortSignal): void {
    const watchSignal = AbortSignal.any([signal, this.closing.signal]);
    const running = runPodWatch(
      {
        clients: this.clients,
        namespace: this.options.namespace,
        retry: this.options.retry,
        backoff: this.options.watchBackoff,
        ...(this.logger ? { logger: this.logger } : {}),
      },
      onChange,
      watchSignal,
    ).catch((error: unknown) => this.logger?.warn({ err: error }, "kubernetes runtime: pod watch ended"));
    this.watches.add(running);
    void running.finally(() => this.watches.delete(running));
  }

  /** Ends watches and pending retries; pods keep running (the cluster owns them). */
  async close(): Promise<void> {
    this.closing.abort(new Error("kubernetes runtime closed"));
    await Promise.allSettled([...this.watches]);
  }
}
