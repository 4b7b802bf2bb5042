/** The Kubernetes runtime's options, with their documented defaults. */
import { parseQuantity } from "./quantity.js";

/** Requests and limits of a session pod and its volume, as Kubernetes quantities. */
export interface SessionResources {
  readonly cpu: string;
  readonly memory: string;
  readonly storage: string;
}

/** Retry policy for API calls that fail with 429, 5xx or a network error. */
export interface RetryPolicy {
  /** Attempts in all, the first included; default 6. */
  readonly attempts: number;
  /** The first backoff; doubles each attempt, with full jitter; default 200 ms. */
  readonly baseDelayMs: number;
  /** The largest backoff (also caps Retry-After); default 10 s. */
  readonly maxDelayMs: number;
}

/** What an operator configures about session pods and volumes. */
export interface KubernetesRuntimeOptions {
  /** The namespace session pods, volumes and secrets live in (not a Raworc namespace). */
  readonly namespace: string;
  /** The session image, which runs `raworc-agent`. */
  readonly image: string;
  /** Default "IfNotPresent". */
  readonly imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** The daemon's command; default ["raworc-agent"] (set ["tini", "--", "raworc-agent"] for an init). */
  readonly command?: readonly string[];
  /**
   * The URL daemons attach to as seen from inside the cluster (the control plane's Service);
   * overrides SessionLaunch.controlPlaneUrl, which is the URL as the control plane knows itself.
   */
  readonly controlPlaneUrl?: string;
  /** The storage class of session volumes; unset means the cluster's default class. */
  readonly storageClassName?: string;
  /** Default ReadWriteOnce; ReadWriteOncePod (CSI only) also guarantees one pod per volume. */
  readonly accessMode?: "ReadWriteOnce" | "ReadWriteOncePod";
  /** When set, remix goes through a VolumeSnapshot of this class; else a CSI clone (dataSource PVC). */
  readonly snapshotClassName?: string;
  /** Requests and limits when a session leaves them empty; default 500m, 512Mi, 10Gi. */
  readonly defaultResources?: Partial<SessionResources>;
  /** The service account session pods run as (its token is never mounted); default: the namespace's default. */
  readonly serviceAccountName?: string;
  /** A RuntimeClass (gVisor, Kata) for stronger isolation; default none. */
  readonly runtimeClassName?: string;
  /** The daemon's uid; default 1000 (the node image's user). */
  readonly runAsUser?: number;
  /** The daemon's gid, also the volume's fsGroup; default 1000. */
  readonly runAsGroup?: number;
  /** Size limit of the /tmp emptyDir (node disk); default 1Gi. */
  readonly tmpSizeLimit?: string;
  /** Grace given to a stopping daemon when stop() names none; default 30 s. */
  readonly terminationGracePeriodSeconds?: number;
  /** How long past a pod's grace period stop() waits for its kubelet to confirm it gone; default 10 s. */
  readonly terminationSlackMs?: number;
  /** A pod still terminating this long past its grace is force-deleted (its node is gone); default 5 min. */
  readonly forceDeleteAfterMs?: number;
  /** Retries of failed API calls. */
  readonly retry?: Partial<RetryPolicy>;
  /** Extra environment variables of the daemon container (contract names, e.g. RAWORC_TRACES); default none. */
  readonly daemonEnv?: Readonly<Record<string, string>>;
  /** Backoff of the pod watch after an error; default 500 ms to 30 s. */
  readonly watchBackoff?: { readonly baseDelayMs?: number; readonly maxDelayMs?: number };
  /** How often to poll while waiting for a pod to go; default 250 ms. */
  readonly pollIntervalMs?: number;
}

/** The options with every default filled in. */
export type ResolvedKubernetesRuntimeOptions = Required<
  Omit<KubernetesRuntimeOptions, "controlPlaneUrl" | "storageClassName" | "snapshotClassName" | "serviceAccountName" | "runtimeClassName">
> &
  Pick<KubernetesRuntimeOptions, "controlPlaneUrl" | "storageClassName" | "snapshotClassName" | "serviceAccountName" | "runtimeClassName"> & {
    readonly defaultResources: SessionResources;
    readonly retry: RetryPolicy;
    readonly watchBackoff: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  };

/** Fills in defaults and refuses options a cluster would refuse later, with one clear message. */
export function resolveKubernetesRuntimeOptions(options: KubernetesRuntimeOptions): ResolvedKubernetesRuntimeOptions {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(options.namespace) || options.namespace.length > 63) {
    throw new Error(`kubernetes runtime: namespace "${options.namespace}" is not a DNS-1123 label`);
  }
  if (!options.image) throw new Error("kubernetes runtime: an image is required");
  const defaultResources: SessionResources = {
    cpu: options.defaultResources?.cpu || "500m",
    memory: options.defaultResources?.memory || "512Mi",
    storage: options.defaultResources?.storage || "10Gi",
  };
  for (const [what, value] of Object.entries({ ...defaultResources, tmpSizeLimit: options.tmpSizeLimit ?? "1Gi" })) {
    parseQuantity(value, `kubernetes runtime: ${what}`);
  }
  return {
    ...options,
    imagePullPolicy: options.imagePullPolicy ?? "IfNotPresent",
    command: options.command ?? ["raworc-agent"],
    accessMode: options.accessMode ?? "ReadWriteOnce",
    defaultResources,
    runAsUser: options.runAsUser ?? 1000,
    daemonEnv: options.daemonEnv ?? {},
    runAsGroup: options.runAsGroup ?? 1000,
    tmpSizeLimit: options.tmpSizeLimit ?? "1Gi",
    terminationGracePeriodSeconds: options.terminationGracePeriodSeconds ?? 30,
    terminationSlackMs: options.terminationSlackMs ?? 10_000,
    forceDeleteAfterMs: options.forceDeleteAfterMs ?? 300_000,
    retry: {
      attempts: options.retry?.attempts ?? 6,
      baseDelayMs: options.retry?.baseDelayMs ?? 200,
      maxDelayMs: options.retry?.maxDelayMs ?? 10_000,
    },
    watchBackoff: {
      baseDelayMs: options.watchBackoff?.baseDelayMs ?? 500,
      maxDelayMs: options.watchBackoff?.maxDelayMs ?? 30_000,
    },
    pollIntervalMs: options.pollIntervalMs ?? 250,
  };
}
