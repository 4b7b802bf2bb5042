/** The session's PersistentVolumeClaim, and the VolumeSnapshot a remix may go through. */
import type { V1OwnerReference, V1PersistentVolumeClaim } from "@kubernetes/client-node";
import { sessionLabels, sessionObjectNames } from "./names.js";
import type { ResolvedKubernetesRuntimeOptions } from "./options.js";
import { parseQuantity } from "./quantity.js";

/** The API group of VolumeSnapshots (the external-snapshotter CRDs). */
export const SNAPSHOT_GROUP = "snapshot.storage.k8s.io";
/** The served version of VolumeSnapshots. */
export const SNAPSHOT_VERSION = "v1";
/** The resource name of VolumeSnapshots in URLs. */
export const SNAPSHOT_PLURAL = "volumesnapshots";

/** Where a new volume's contents come from: nothing, a clone of a PVC, or a snapshot. */
export type VolumeSource =
  | { readonly kind: "empty" }
  | { readonly kind: "clone"; readonly claimName: string }
  | { readonly kind: "snapshot"; readonly snapshotName: string };

/** A VolumeSnapshot, typed as far as the runtime reads it (CustomObjectsApi returns plain JSON). */
export interface VolumeSnapshot {
  apiVersion: string;
  kind: "VolumeSnapshot";
  metadata: { name: string; namespace: string; labels: Record<string, string>; uid?: string };
  spec: { volumeSnapshotClassName: string; source: { persistentVolumeClaimName: string } };
  status?: { readyToUse?: boolean; error?: { message?: string } };
}

/** Builds a session's volume claim; a remix names its source in `dataSource`. */
export function buildSessionVolume(
  sessionId: string,
  storage: string,
  storageClassName: string | undefined,
  source: VolumeSource,
  options: ResolvedKubernetesRuntimeOptions,
): V1PersistentVolumeClaim {
  parseQuantity(storage, "storage");
  const dataSource =
    source.kind === "clone"
      ? { kind: "PersistentVolumeClaim", name: source.claimName }
      : source.kind === "snapshot"
        ? { apiGroup: SNAPSHOT_GROUP, kind: "VolumeSnapshot", name: source.snapshotName }
        : undefined;
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: sessionObjectNames(sessionId).volume,
      namespace: options.namespace,
      labels: sessionLabels(sessionId, "volume"),
    },
    spec: {
      accessModes: [options.accessMode],
      volumeMode: "Filesystem",
      resources: { requests: { storage } },
      ...(storageClassName ? { storageClassName } : {}),
      ...(dataSource ? { dataSource } : {}),
    },
  };
}

/** Builds the snapshot of a source volume that a remix into `sessionId` restores from. */
export function buildRemixSnapshot(
  sessionId: string,
  sourceClaimName: string,
  snapshotClassName: string,
  options: ResolvedKubernetesRuntimeOptions,
): VolumeSnapshot {
  return {
    apiVersion: `${SNAPSHOT_GROUP}/${SNAPSHOT_VERSION}`,
    kind: "VolumeSnapshot",
    metadata: {
      name: sessionObjectNames(sessionId).snapshot,
      namespace: options.namespace,
      labels: sessionLabels(sessionId, "remix-snapshot"),
    },
    spec: { volumeSnapshotClassName: snapshotClassName, source: { persistentVolumeClaimName: sourceClaimName } },
  };
}

/** The owner reference that ties a session's pod and secret to its volume. */
export function volumeOwnerReference(volume: V1PersistentVolumeClaim): V1OwnerReference {
  const { name, uid } = volume.metadata ?? {};
  if (!name || !uid) throw new Error("a volume without name or uid cannot own objects");
  // Not blockOwnerDeletion: that needs update on persistentvolumeclaims/finalizers, which the
  // runtime's Role does not grant; the runtime deletes dependents itself anyway.
  return { apiVersion: "v1", kind: "PersistentVolumeClaim", name, uid, controller: false, blockOwnerDeletion: false };
}
