/**
 * The controllers whose effects the runtime relies on, run to a fixed point after every change:
 * finalization, the garbage collector (background, foreground, orphan), PVC protection, volume
 * binding (immediate or on first consumer, from a clone or a snapshot), and snapshot readiness.
 */
import type { FakeCluster } from "./cluster.js";
import { RESOURCES, type ResourceType } from "./resources.js";
import { timestamp, type KubeObject } from "./types.js";

type Json = Record<string, unknown>;
type Entry = { readonly type: ResourceType; readonly object: KubeObject };

const settling = new WeakSet<FakeCluster>();

/** Runs controllers until nothing changes (re-entrant calls are absorbed by the running loop). */
export function settleControllers(cluster: FakeCluster): void {
  if (settling.has(cluster)) return;
  settling.add(cluster);
  try {
    for (let round = 0; round < 1000 && step(cluster); round++);
  } finally {
    settling.delete(cluster);
  }
}

function step(cluster: FakeCluster): boolean {
  const entries: Entry[] = [...RESOURCES.values()].flatMap((type) => cluster.store.list(`${type.group}/${type.plural}`).map((object) => ({ type, object })));
  const byUid = new Map(entries.map((entry) => [entry.object.metadata.uid, entry]));
  for (const entry of entries) {
    if (finalize(cluster, entry) || protectClaim(cluster, entry, entries) || collectDependents(cluster, entry, entries)) return true;
    if (collectOrphan(cluster, entry, byUid) || bindClaim(cluster, entry, entries) || readySnapshot(cluster, entry, entries)) return true;
  }
  return false;
}

/** Removes an object whose deletion waits for nothing more (pods: once their kubelet is done). */
function finalize(cluster: FakeCluster, { type, object }: Entry): boolean {
  const { deletionTimestamp, finalizers, deletionGracePeriodSeconds } = object.metadata;
  if (!deletionTimestamp || (finalizers?.length ?? 0) > 0) return false;
  if (type.plural === "pods" && !type.group && (deletionGracePeriodSeconds ?? 0) > 0) return false;
  cluster.store.remove(keyOf(type, object));
  return true;
}

/** PVC protection: a deleted claim stays until no running pod uses it. */
function protectClaim(cluster: FakeCluster, { type, object }: Entry, entries: Entry[]): boolean {
  if (type.plural !== "persistentvolumeclaims" || !object.metadata.deletionTimestamp) return false;
  if (!object.metadata.finalizers?.includes("kubernetes.io/pvc-protection")) return false;
  if (podsUsing(object, entries).some((pod) => !isFinished(pod))) return false;
  return removeFinalizer(cluster, type, object, "kubernetes.io/pvc-protection");
}

/** Foreground and orphan deletion: deal with dependents, then release the owner. */
function collectDependents(cluster: FakeCluster, { type, object }: Entry, entries: Entry[]): boolean {
  if (!object.metadata.deletionTimestamp) return false;
  const dependents = entries.filter((entry) => entry.object.metadata.ownerReferences?.some((owner) => owner.uid === object.metadata.uid));
  if (object.metadata.finalizers?.includes("orphan")) {
    for (const dependent of dependents) {
      cluster.update(dependent.type, dependent.object.metadata.namespace ?? "", dependent.object.metadata.name ?? "", (changed) => {
        changed.metadata.ownerReferences = changed.metadata.ownerReferences?.filter((owner) => owner.uid !== object.metadata.uid);
      });
    }
    return removeFinalizer(cluster, type, object, "orphan");
  }
  if (!object.metadata.finalizers?.includes("foregroundDeletion")) return false;
  if (dependents.length === 0) return removeFinalizer(cluster, type, object, "foregroundDeletion");
  let changed = false;
  for (const dependent of dependents.filter((entry) => !entry.object.metadata.deletionTimestamp)) {
    cluster.delete(dependent.type, dependent.object.metadata.namespace ?? "", dependent.object.metadata.name ?? "", {});
    changed = true;
  }
  return changed;
}

/** Background garbage collection: an object all of whose owners are gone is deleted. */
function collectOrphan(cluster: FakeCluster, { type, object }: Entry, byUid: Map<string | undefined, Entry>): boolean {
  const owners = object.metadata.ownerReferences ?? [];
  if (owners.length === 0 || object.metadata.deletionTimestamp) return false;
  if (owners.some((owner) => byUid.has(owner.uid))) return false;
  cluster.delete(type, object.metadata.namespace ?? "", object.metadata.name ?? "", {});
  return true;
}

/** Binds a pending claim once it may bind and its data source is ready. */
function bindClaim(cluster: FakeCluster, { type, object }: Entry, entries: Entry[]): boolean {
  if (type.plural !== "persistentvolumeclaims" || object.status?.phase !== "Pending" || object.metadata.deletionTimestamp) return false;
  const waitForConsumer = cluster.options.volumeBinding === "WaitForFirstConsumer";
  if (waitForConsumer && !podsUsing(object, entries).some((pod) => pod.spec?.nodeName)) return false;
  const spec = object.spec ?? {};
  const requested = ((spec.resources as Json | undefined)?.requests as Json | undefined)?.storage;
  const source = spec.dataSource as { kind?: string; name?: string } | undefined;
  const find = (plural: string, name: string | undefined) =>
    entries.find((entry) => entry.type.plural === plural && entry.object.metadata.namespace === object.metadata.namespace && entry.object.metadata.name === name)?.object;
  if (source?.kind === "PersistentVolumeClaim" && find("persistentvolumeclaims", source.name)?.status?.phase !== "Bound") return false;
  if (source?.kind === "VolumeSnapshot" && find("volumesnapshots", source.name)?.status?.readyToUse !== true) return false;
  cluster.update(type, object.metadata.namespace ?? "", object.metadata.name ?? "", (claim) => {
    claim.spec = { ...claim.spec, volumeName: `pvc-${claim.metadata.uid}` };
    claim.status = { phase: "Bound", accessModes: spec.accessModes, capacity: { storage: requested } };
  });
  return true;
}

/** A snapshot of a bound claim becomes ready to use. */
function readySnapshot(cluster: FakeCluster, { type, object }: Entry, entries: Entry[]): boolean {
  if (type.plural !== "volumesnapshots" || object.status?.readyToUse === true || object.metadata.deletionTimestamp) return false;
  const claimName = ((object.spec?.source ?? {}) as Json).persistentVolumeClaimName;
  const claim = entries.find(
    (entry) => entry.type.plural === "persistentvolumeclaims" && entry.object.metadata.namespace === object.metadata.namespace && entry.object.metadata.name === claimName,
  )?.object;
  if (claim?.status?.phase !== "Bound") return false;
  cluster.update(type, object.metadata.namespace ?? "", object.metadata.name ?? "", (snapshot) => {
    snapshot.status = {
      readyToUse: true,
      creationTime: timestamp(),
      restoreSize: (claim.status?.capacity as Json | undefined)?.storage,
      boundVolumeSnapshotContentName: `snapcontent-${snapshot.metadata.uid}`,
    };
  });
  return true;
}

function podsUsing(claim: KubeObject, entries: Entry[]): KubeObject[] {
  return entries
    .filter((entry) => entry.type.plural === "pods" && !entry.type.group && entry.object.metadata.namespace === claim.metadata.namespace)
    .map((entry) => entry.object)
    .filter((pod) => ((pod.spec?.volumes ?? []) as Json[]).some((volume) => (volume.persistentVolumeClaim as Json | undefined)?.claimName === claim.metadata.name));
}

function isFinished(pod: KubeObject): boolean {
  return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}

function removeFinalizer(cluster: FakeCluster, type: ResourceType, object: KubeObject, finalizer: string): boolean {
  cluster.update(type, object.metadata.namespace ?? "", object.metadata.name ?? "", (changed) => {
    changed.metadata.finalizers = changed.metadata.finalizers?.filter((name) => name !== finalizer);
    if (changed.metadata.finalizers?.length === 0) delete changed.metadata.finalizers;
  });
  return true;
}

function keyOf(type: ResourceType, object: KubeObject) {
  return { resource: `${type.group}/${type.plural}`, namespace: object.metadata.namespace ?? "", name: object.metadata.name ?? "" };
}
