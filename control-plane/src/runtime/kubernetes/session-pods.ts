/**
 * Session pods and their token Secrets: start a pod unless one is live, stop it with grace (the
 * kubelet enforces SIGTERM then SIGKILL), and force-delete only a pod stuck terminating long
 * past its grace, whose node must be gone.
 */
import type { V1OwnerReference, V1Pod } from "@kubernetes/client-node";
import type { Logger } from "../../logger.js";
import type { SessionLaunch } from "../session-runtime.js";
import { KubernetesApiError } from "./api-errors.js";
import type { KubernetesClients } from "./client.js";
import type { ApiCaller } from "./idempotent-calls.js";
import { sessionObjectNames } from "./names.js";
import type { ResolvedKubernetesRuntimeOptions } from "./options.js";
import { buildSessionPod } from "./pod-manifest.js";
import { daemonStateOf, isPodFinished } from "./pod-observation.js";
import { sleep } from "./retry.js";
import { buildTokenSecret, tokenOf } from "./secret-manifest.js";

/** Starts and stops session pods. */
export class SessionPods {
  constructor(
    private readonly clients: KubernetesClients,
    private readonly api: ApiCaller,
    private readonly options: ResolvedKubernetesRuntimeOptions,
    private readonly signal: AbortSignal,
    private readonly logger?: Pick<Logger, "warn">,
  ) {}

  /** The session's pod, if it exists. */
  read(sessionId: string): Promise<V1Pod | undefined> {
    const name = sessionObjectNames(sessionId).pod;
    return this.api.read(`read pod ${name}`, () => this.clients.core.readNamespacedPod({ name, namespace: this.options.namespace }));
  }

  /** Creates the token Secret and the pod, unless a live pod (pending or running) exists. */
  async start(launch: SessionLaunch, owner: V1OwnerReference): Promise<void> {
    const existing = await this.read(launch.sessionId);
    if (existing && isLive(existing)) return;
    // An exited or terminating pod must be gone before its successor can take the name.
    if (existing) await this.stop(launch.sessionId, this.options.terminationGracePeriodSeconds);
    await this.ensureTokenSecret(launch, owner);
    const body = buildSessionPod(launch, this.options, owner);
    const name = body.metadata?.name ?? "";
    if ((await this.api.create(`create pod ${name}`, () => this.clients.core.createNamespacedPod({ namespace: this.options.namespace, body }))) === "created") {
      return;
    }
    const current = await this.read(launch.sessionId);
    if (current && isLive(current)) return;
    throw new KubernetesApiError(`pod ${name} of an earlier run is still terminating`, 409, "AlreadyExists", true);
  }

  /** Deletes the pod with grace and waits (bounded) for it to go; true if it is gone. */
  async stop(sessionId: string, graceSeconds: number): Promise<boolean> {
    const pod = await this.read(sessionId);
    const uid = pod?.metadata?.uid;
    if (!pod || !uid) return true;
    // A finished pod runs nothing: remove it at once. A pod terminating long past its grace
    // sits on a node that stopped answering: only a force delete frees its name.
    const deletionAt = pod.metadata?.deletionTimestamp?.getTime();
    const stuck = deletionAt !== undefined && Date.now() >= deletionAt + this.options.forceDeleteAfterMs;
    if (stuck) this.logger?.warn({ sessionId, pod: pod.metadata?.name }, "kubernetes runtime: force-deleting a pod stuck terminating");
    const grace = isPodFinished(pod) || stuck ? 0 : graceSeconds;
    const name = sessionObjectNames(sessionId).pod;
    const deleted = await this.api.delete(
      `delete pod ${name}`,
      () =>
        this.clients.core.deleteNamespacedPod({
          name,
          namespace: this.options.namespace,
          gracePeriodSeconds: grace,
          body: { gracePeriodSeconds: grace, preconditions: { uid } },
        }),
      { preconditioned: true },
    );
    if (!deleted) return true;
    return this.waitGone(sessionId, uid, grace * 1000 + this.options.terminationSlackMs);
  }

  /** Deletes the session's token Secret; true if it was there. */
  deleteTokenSecret(sessionId: string): Promise<boolean> {
    const name = sessionObjectNames(sessionId).secret;
    return this.api.delete(`delete secret ${name}`, () => this.clients.core.deleteNamespacedSecret({ name, namespace: this.options.namespace }));
  }

  private async ensureTokenSecret(launch: SessionLaunch, owner: V1OwnerReference): Promise<void> {
    const body = buildTokenSecret(launch, this.options, owner);
    const name = body.metadata?.name ?? "";
    const namespace = this.options.namespace;
    for (let attempt = 1; ; attempt++) {
      if ((await this.api.create(`create secret ${name}`, () => this.clients.core.createNamespacedSecret({ namespace, body }))) === "created") return;
      const existing = await this.api.read(`read secret ${name}`, () => this.clients.core.readNamespacedSecret({ name, namespace }));
      if (existing && tokenOf(existing) === launch.daemonToken) return;
      if (existing) {
        // A new token generation: replace it, guarded by resourceVersion against a racing writer.
        const replacement = { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion } };
        try {
          await this.api.call(`replace secret ${name}`, () => this.clients.core.replaceNamespacedSecret({ name, namespace, body: replacement }));
          return;
        } catch (error) {
          if (attempt >= 3 || !(error instanceof KubernetesApiError && (error.code === 409 || error.code === 404))) throw error;
        }
      }
      if (attempt >= 3) throw new KubernetesApiError(`secret ${name} keeps changing under us`, 409, "Conflict", true);
    }
  }

  private async waitGone(sessionId: string, uid: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pod = await this.read(sessionId);
      if (!pod || pod.metadata?.uid !== uid) return true;
      if (Date.now() >= deadline) return false;
      await sleep(this.options.pollIntervalMs, this.signal);
    }
  }
}

function isLive(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  const { daemon } = daemonStateOf(pod);
  return daemon === "starting" || daemon === "running";
}
