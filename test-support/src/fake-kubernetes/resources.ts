/**
 * The resources the fake serves, each with the API server's defaulting and validation for it:
 * core/v1 pods, persistentvolumeclaims and secrets, and snapshot.storage.k8s.io/v1 volumesnapshots.
 */
import { validatePodSpec } from "./pod-validation.js";
import type { KubeObject } from "./types.js";
import { Causes, checkMetadata, checkQuantity } from "./validation.js";

type Json = Record<string, unknown>;

/** One served resource. */
export interface ResourceType {
  readonly plural: string;
  readonly kind: string;
  readonly group: string;
  readonly version: string;
  /** Core lists drop apiVersion/kind from their items; custom resources keep them. */
  readonly typedList: boolean;
  /** DELETE answers with the object (pods, PVCs, custom resources) or with a Status (secrets). */
  readonly deleteReturnsObject: boolean;
  /** Fields of `spec` that may change on update (undefined: all; [] none). */
  readonly mutableSpec?: readonly string[];
  /** Applies defaults, as on create. */
  defaults(object: KubeObject): void;
  /** Normalizes on create and update (a Secret's stringData into data). */
  normalize?(object: KubeObject): void;
  /** Validates everything but metadata. */
  validate(causes: Causes, object: KubeObject): void;
}

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ACCESS_MODES = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"];

const pods: ResourceType = {
  plural: "pods",
  kind: "Pod",
  group: "",
  version: "v1",
  typedList: true,
  deleteReturnsObject: true,
  mutableSpec: ["activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"],
  defaults(pod) {
    const spec = (pod.spec ??= {});
    spec.restartPolicy ??= "Always";
    spec.terminationGracePeriodSeconds ??= 30;
    spec.dnsPolicy ??= "ClusterFirst";
    spec.schedulerName ??= "default-scheduler";
    spec.serviceAccountName ??= "default";
    spec.securityContext ??= {};
    for (const container of (spec.containers ?? []) as Json[]) {
      const image = typeof container.image === "string" ? container.image : "";
      container.imagePullPolicy ??= image.endsWith(":latest") || !/:[^/]+$/.test(image) ? "Always" : "IfNotPresent";
      container.terminationMessagePath ??= "/dev/termination-log";
      container.terminationMessagePolicy ??= "File";
      container.resources ??= {};
    }
    pod.status = { phase: "Pending", qosClass: qosClass((spec.containers ?? []) as Json[]) };
  },
  validate(causes, pod) {
    validatePodSpec(causes, pod);
  },
};

const persistentVolumeClaims: ResourceType = {
  plural: "persistentvolumeclaims",
  kind: "PersistentVolumeClaim",
  group: "",
  version: "v1",
  typedList: true,
  deleteReturnsObject: true,
  mutableSpec: ["resources", "volumeAttributesClassName"],
  defaults(claim) {
    const spec = (claim.spec ??= {});
    spec.volumeMode ??= "Filesystem";
    if (spec.dataSource && !spec.dataSourceRef) spec.dataSourceRef = spec.dataSource;
    // The PVC protection admission plugin: a claim in use by a pod outlives its deletion.
    const finalizers = (claim.metadata.finalizers ??= []);
    if (!finalizers.includes("kubernetes.io/pvc-protection")) finalizers.push("kubernetes.io/pvc-protection");
    claim.status = { phase: "Pending" };
  },
  validate(causes, claim) {
    const spec = claim.spec ?? {};
    const modes = spec.accessModes as unknown[] | undefined;
    if (!Array.isArray(modes) || modes.length === 0) causes.required("spec.accessModes");
    else modes.forEach((mode) => ACCESS_MODES.includes(mode as string) || causes.notSupported("spec.accessModes", mode, ACCESS_MODES));
    const storage = ((spec.resources as Json | undefined)?.requests as Json | undefined)?.storage;
    if (storage === undefined) causes.required("spec.resources[storage]");
    else checkQuantity(causes, "spec.resources[storage]", storage);
    const dataSource = spec.dataSource as Json | undefined;
    if (dataSource) {
      if (!dataSource.name) causes.required("spec.dataSource.name");
      if (!dataSource.kind) causes.required("spec.dataSource.kind");
      if (dataSource.kind === "PersistentVolumeClaim" && dataSource.apiGroup) {
        causes.invalid("spec.dataSource.apiGroup", dataSource.apiGroup, "must be empty for a PersistentVolumeClaim source");
      }
      if (dataSource.kind !== "PersistentVolumeClaim" && !dataSource.apiGroup) causes.required("spec.dataSource.apiGroup");
    }
  },
};

const secrets: ResourceType = {
  plural: "secrets",
  kind: "Secret",
  group: "",
  version: "v1",
  typedList: true,
  deleteReturnsObject: false,
  defaults(secret) {
    secret.type ??= "Opaque";
  },
  normalize(secret) {
    const stringData = secret.stringData as Record<string, string> | undefined;
    if (stringData) {
      const data = ((secret.data as Record<string, string> | undefined) ?? {});
      for (const [key, value] of Object.entries(stringData)) data[key] = Buffer.from(value, "utf8").toString("base64");
      secret.data = data;
      delete secret.stringData;
    }
  },
  validate(causes, secret) {
    let size = 0;
    for (const [key, value] of Object.entries((secret.data ?? {}) as Record<string, unknown>)) {
      if (!SECRET_KEY.test(key)) causes.invalid(`data[${key}]`, key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
      if (typeof value !== "string" || !BASE64.test(value)) causes.invalid(`data[${key}]`, "<secret contents redacted>", "illegal base64 data");
      else size += Buffer.from(value, "base64").length;
    }
    if (size > 1024 * 1024) causes.list.push({ reason: "FieldValueTooLong", message: "Too long: must have at most 1048576 bytes", field: "data" });
  },
};

const volumeSnapshots: ResourceType = {
  plural: "volumesnapshots",
  kind: "VolumeSnapshot",
  group: "snapshot.storage.k8s.io",
  version: "v1",
  typedList: false,
  deleteReturnsObject: true,
  mutableSpec: ["volumeSnapshotClassName"],
  defaults(snapshot) {
    snapshot.status = { readyToUse: false };
  },
  validate(causes, snapshot) {
    const source = (snapshot.spec?.source ?? {}) as Json;
    const named = [source.persistentVolumeClaimName, source.volumeSnapshotContentName].filter(Boolean).length;
    if (named !== 1) causes.invalid("spec.source", source, "exactly one of persistentVolumeClaimName and volumeSnapshotContentName should be specified");
  },
};

/** Every served resource by `group/plural` (group empty for core). */
export const RESOURCES: ReadonlyMap<string, ResourceType> = new Map(
  [pods, persistentVolumeClaims, secrets, volumeSnapshots].map((type) => [`${type.group}/${type.plural}`, type]),
);

/** Validates metadata and the kind's fields; the causes of a 422, if any. */
export function validateObject(type: ResourceType, object: KubeObject): Causes {
  const causes = new Causes();
  checkMetadata(causes, object);
  type.validate(causes, object);
  return causes;
}

function qosClass(containers: Json[]): string {
  const resources = containers.map((container) => (container.resources ?? {}) as { requests?: Json; limits?: Json });
  if (resources.every((r) => !r.requests && !r.limits)) return "BestEffort";
  const guaranteed = resources.every(
    (r) => r.limits?.cpu && r.limits?.memory && (r.requests?.cpu ?? r.limits.cpu) === r.limits.cpu && (r.requests?.memory ?? r.limits.memory) === r.limits.memory,
  );
  return guaranteed ? "Guaranteed" : "Burstable";
}
