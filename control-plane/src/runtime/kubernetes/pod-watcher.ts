/**
 * Watches session pods as client-go's reflector does: list (noting the resourceVersion), watch
 * from there, re-watch from the last version seen when a watch ends, relist when the server
 * says that version has expired (410 Gone), and back off after errors.
 */
import type { V1Pod, V1Status } from "@kubernetes/client-node";
import type { Logger } from "../../logger.js";
import { toKubernetesApiError } from "./api-errors.js";
import type { KubernetesClients } from "./client.js";
import { SESSIONS_SELECTOR, sessionIdOf } from "./names.js";
import type { RetryPolicy } from "./options.js";
import { backoffDelay, sleep, withRetry } from "./retry.js";

/** What the pod watch needs. */
export interface PodWatchOptions {
  readonly clients: KubernetesClients;
  readonly namespace: string;
  readonly retry: RetryPolicy;
  readonly backoff: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  readonly logger?: Pick<Logger, "warn" | "debug">;
  /** Server-side watch timeout; below the client's 30 s inactivity timeout. Default 25 s. */
  readonly timeoutSeconds?: number;
}

type WatchOutcome = { readonly expired: boolean; readonly error?: unknown; readonly events: number };

/** Runs until `signal` aborts, calling `onChange(sessionId)` for every pod change it sees or may have missed. */
export async function runPodWatch(options: PodWatchOptions, onChange: (sessionId: string) => void, signal: AbortSignal): Promise<void> {
  const { clients, namespace, logger } = options;
  let known = new Map<string, string>(); // pod name → session id
  let resourceVersion: string | undefined;
  let failures = 0;
  const notify = (sessionId: string) => {
    try {
      onChange(sessionId);
    } catch (error) {
      logger?.warn({ err: error, sessionId }, "kubernetes runtime: a pod change handler threw");
    }
  };

  const watchOnce = (from: string): Promise<WatchOutcome> =>
    new Promise((resolve) => {
      let expired = false;
      let errorEvent: V1Status | undefined;
      let events = 0;
      let controller: AbortController | undefined;
      const onAbort = () => controller?.abort();
      signal.addEventListener("abort", onAbort, { once: true });
      const onEvent = (type: string, object: V1Pod & V1Status) => {
        events++;
        if (type === "ERROR") {
          if (object.code === 410) expired = true;
          else errorEvent = object;
          return;
        }
        const version = object.metadata?.resourceVersion;
        if (version) resourceVersion = version;
        if (type === "BOOKMARK") return;
        const name = object.metadata?.name;
        const sessionId = sessionIdOf(object);
        if (name && type === "DELETED") known.delete(name);
        else if (name && sessionId) known.set(name, sessionId);
        if (sessionId) notify(sessionId);
      };
      const onDone = (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        resolve({ expired, events, error: error ?? (errorEvent ? new Error(errorEvent.message ?? "watch error event") : undefined) });
      };
      clients.watch
        .watch(
          `/api/v1/namespaces/${namespace}/pods`,
          { labelSelector: SESSIONS_SELECTOR, resourceVersion: from, allowWatchBookmarks: true, timeoutSeconds: options.timeoutSeconds ?? 25 },
          onEvent,
          onDone,
        )
        .then(
          (started) => {
            controller = started;
            if (signal.aborted) started.abort();
          },
          (error: unknown) => onDone(error),
        );
    });

  while (!signal.aborted) {
    try {
      if (resourceVersion === undefined) {
        const list = await withRetry("list pods", options.retry, () => clients.core.listNamespacedPod({ namespace, labelSelector: SESSIONS_SELECTOR }), signal);
        const listed = new Map<string, string>();
        for (const pod of list.items) {
          const sessionId = sessionIdOf(pod);
          if (pod.metadata?.name && sessionId) listed.set(pod.metadata.name, sessionId);
        }
        // Any session whose pod appeared, changed or vanished while no watch was open.
        const touched = new Set([...known.values(), ...listed.values()]);
        known = listed;
        resourceVersion = list.metadata?.resourceVersion ?? "0";
        for (const sessionId of touched) notify(sessionId);
      }
      const startedAt = Date.now();
      const outcome = await watchOnce(resourceVersion);
      if (signal.aborted) return;
      if (outcome.expired || (outcome.error && toKubernetesApiError(outcome.error).code === 410)) {
        logger?.debug({ resourceVersion }, "kubernetes runtime: pod watch expired; relisting");
        resourceVersion = undefined;
        failures = 0;
        continue;
      }
      const timedOut = outcome.error instanceof Error && outcome.error.name === "TimeoutError";
      if (outcome.error && !timedOut) throw toKubernetesApiError(outcome.error);
      // A watch that ends at once with nothing to say is a misbehaving server or proxy: back off.
      if (outcome.events === 0 && Date.now() - startedAt < 1000) throw new Error("the pod watch closed at once");
      failures = 0;
    } catch (error) {
      if (signal.aborted) return;
      failures++;
      logger?.warn({ err: error, failures }, "kubernetes runtime: pod watch failed; retrying");
      try {
        await sleep(backoffDelay(failures, options.backoff.baseDelayMs, options.backoff.maxDelayMs), signal);
      } catch {
        return;
      }
    }
  }
}
