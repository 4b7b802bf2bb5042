/**
 * The API server's verbs over the store, with its semantics: server-set metadata, defaulting,
 * validation, optimistic concurrency, graceful pod deletion, finalizers and delete
 * preconditions. Controllers (garbage collector, PVC protection, binding) run after each change.
 */
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { settleControllers } from "./controllers.js";
import { parseLabelSelector } from "./label-selector.js";
import { ObjectStore } from "./object-store.js";
import { validateObject, type ResourceType } from "./resources.js";
import { alreadyExists, badRequest, conflict, invalid, notFound, type Status } from "./status.js";
import { clone, timestamp, type KubeObject, type ObjectKey } from "./types.js";
import type { Causes } from "./validation.js";

/** What a DELETE may carry (body and query merged). */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: "Foreground" | "Background" | "Orphan";
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** How the fake cluster provisions volumes. */
export interface ClusterOptions {
  /** Namespaces that exist; default ["default"]. */
  readonly namespaces?: readonly string[];
  /** Immediate binds a PVC on creation; WaitForFirstConsumer when a pod using it is scheduled. Default Immediate. */
  readonly volumeBinding?: "Immediate" | "WaitForFirstConsumer";
  /** The default StorageClass name given to PVCs without one; default "standard". */
  readonly defaultStorageClass?: string;
  /** Changes kept for watches to resume from; default 10,000. */
  readonly historyLimit?: number;
}

/** A fake cluster's API state. */
export class FakeCluster {
  readonly store: ObjectStore;
  readonly namespaces: Set<string>;

  constructor(readonly options: ClusterOptions = {}) {
    this.store = new ObjectStore(options.historyLimit);
    this.namespaces = new Set(options.namespaces ?? ["default"]);
  }

  /** GET of one object. */
  get(type: ResourceType, namespace: string, name: string): KubeObject {
    const object = this.store.get(key(type, namespace, name));
    if (!object) throw notFound({ ...type, name });
    return withTypeMeta(type, object);
  }

  /** LIST of a resource in one namespace (or all), filtered by a label selector. */
  list(type: ResourceType, namespace: string | undefined, labelSelector?: string | null) {
    const selects = parseLabelSelector(labelSelector);
    const items = this.store
      .list(resourceId(type), namespace)
      .filter((object) => selects(object.metadata.labels))
      .map((object) => (type.typedList ? stripTypeMeta(object) : withTypeMeta(type, object)));
    return {
      apiVersion: apiVersion(type),
      kind: `${type.kind}List`,
      metadata: { resourceVersion: String(this.store.resourceVersion) },
      items,
    };
  }

  /** POST: creates an object, or fails with 400/404/409/422 as the API server does. */
  create(type: ResourceType, namespace: string, body: KubeObject): KubeObject {
    checkTypeMeta(type, body);
    const object = clone(body);
    const metadata = object.metadata;
    if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    if (!metadata.name && metadata.generateName) metadata.name = metadata.generateName + randomSuffix();
    Object.assign(metadata, {
      namespace,
      uid: randomUUID(),
      creationTimestamp: timestamp(),
      generation: 1,
    });
    delete metadata.deletionTimestamp;
    delete metadata.deletionGracePeriodSeconds;
    delete metadata.resourceVersion;
    type.normalize?.(object);
    type.defaults(object);
    if (!type.group && type.plural === "persistentvolumeclaims" && object.spec && object.spec.storageClassName === undefined) {
      object.spec.storageClassName = this.options.defaultStorageClass ?? "standard";
    }
    const causes = validateObject(type, object);
    if (causes.list.length > 0) throw invalid({ ...type, name: metadata.name ?? "" }, causes.list);
    this.requireNamespace(namespace);
    const name = metadata.name ?? "";
    if (this.store.get(key(type, namespace, name))) throw alreadyExists({ ...type, name });
    const stored = this.store.put(key(type, namespace, name), object);
    settleControllers(this);
    return withTypeMeta(type, this.store.get(key(type, namespace, name)) ?? stored);
  }

  /** PUT: replaces an object, guarded by resourceVersion when the body carries one. */
  replace(type: ResourceType, namespace: string, name: string, body: KubeObject): KubeObject {
    checkTypeMeta(type, body);
    if (body.metadata.name !== name) throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    const stored = this.get(type, namespace, name);
    const requested = body.metadata.resourceVersion;
    if (requested && requested !== stored.metadata.resourceVersion) {
      throw conflict({ ...type, name }, "the object has been modified; please apply your changes to the latest version and try again");
    }
    const object = clone(body);
    Object.assign(object.metadata, {
      namespace,
      uid: stored.metadata.uid,
      creationTimestamp: stored.metadata.creationTimestamp,
      deletionTimestamp: stored.metadata.deletionTimestamp,
      deletionGracePeriodSeconds: stored.metadata.deletionGracePeriodSeconds,
    });
    if (!object.metadata.deletionTimestamp) {
      delete object.metadata.deletionTimestamp;
      delete object.metadata.deletionGracePeriodSeconds;
    }
    type.normalize?.(object);
    if (stored.status !== undefined) object.status = stored.status;
    const causes = validateObject(type, object);
    checkImmutable(type, stored, object, causes);
    if (causes.list.length > 0) throw invalid({ ...type, name }, causes.list);
    const specChanged = !isDeepStrictEqual(stored.spec, object.spec);
    object.metadata.generation = (stored.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    this.store.put(key(type, namespace, name), object);
    settleControllers(this);
    return withTypeMeta(type, this.store.get(key(type, namespace, name)) ?? object);
  }

  /** DELETE: removes, or marks for graceful deletion or finalization; answers as the API server does. */
  delete(type: ResourceType, namespace: string, name: string, options: DeleteOptions): KubeObject | Status {
    const stored = this.get(type, namespace, name);
    const { uid, resourceVersion } = options.preconditions ?? {};
    if (uid && uid !== stored.metadata.uid) {
      throw conflict({ ...type, name }, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${stored.metadata.uid}`);
    }
    if (resourceVersion && resourceVersion !== stored.metadata.resourceVersion) {
      throw conflict({ ...type, name }, `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${stored.metadata.resourceVersion}`);
    }
    const object = clone(stored);
    const finalizers = new Set(object.metadata.finalizers ?? []);
    if (options.propagationPolicy === "Foreground") finalizers.add("foregroundDeletion");
    if (options.propagationPolicy === "Orphan") finalizers.add("orphan");
    object.metadata.finalizers = [...finalizers];
    const grace = this.gracePeriod(type, object, options);
    const now = Date.now();
    const pendingUntil = object.metadata.deletionTimestamp ? Date.parse(object.metadata.deletionTimestamp) : undefined;
    if (pendingUntil === undefined || now + grace * 1000 < pendingUntil) {
      object.metadata.deletionTimestamp = timestamp(now + grace * 1000);
      object.metadata.deletionGracePeriodSeconds = grace;
    }
    if (object.metadata.finalizers.length === 0) delete object.metadata.finalizers;
    const objectKey = key(type, namespace, name);
    if (grace === 0 && finalizers.size === 0) this.store.remove(objectKey);
    else if (!isDeepStrictEqual(object, stored)) this.store.put(objectKey, object);
    settleControllers(this);
    const current = this.store.get(objectKey) ?? { ...object, metadata: { ...object.metadata, resourceVersion: String(this.store.resourceVersion) } };
    if (type.deleteReturnsObject) return withTypeMeta(type, current);
    return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { name, kind: type.plural, ...(stored.metadata.uid ? { uid: stored.metadata.uid } : {}) }, code: 200 };
  }

  /** Changes an object as a controller or kubelet would (no validation); returns the stored copy. */
  update(type: ResourceType, namespace: string, name: string, change: (object: KubeObject) => void): KubeObject {
    const object = this.get(type, namespace, name);
    change(object);
    this.store.put(key(type, namespace, name), object);
    settleControllers(this);
    return this.store.get(key(type, namespace, name)) ?? object;
  }

  private gracePeriod(type: ResourceType, object: KubeObject, options: DeleteOptions): number {
    if (type.group || type.plural !== "pods") return 0;
    const phase = object.status?.phase;
    // Pods never scheduled, or whose containers have all ended, have nothing for a kubelet to stop.
    if (!object.spec?.nodeName || phase === "Succeeded" || phase === "Failed") return 0;
    return Math.max(0, options.gracePeriodSeconds ?? (object.spec?.terminationGracePeriodSeconds as number | undefined) ?? 30);
  }

  private requireNamespace(namespace: string): void {
    if (!this.namespaces.has(namespace)) throw notFound({ plural: "namespaces", group: "", kind: "Namespace", name: namespace });
  }
}

/** The store key of an object of a type. */
export function key(type: ResourceType, namespace: string, name: string): ObjectKey {
  return { resource: resourceId(type), namespace, name };
}

/** The store's resource id of a type. */
export function resourceId(type: ResourceType): string {
  return `${type.group}/${type.plural}`;
}

/** The apiVersion of a type's objects ("v1", "snapshot.storage.k8s.io/v1"). */
export function apiVersion(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** The object with its apiVersion and kind set, as single objects and watch events carry them. */
export function withTypeMeta(type: ResourceType, object: KubeObject): KubeObject {
  return { ...object, apiVersion: apiVersion(type), kind: type.kind };
}

function stripTypeMeta(object: KubeObject): KubeObject {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = object;
  return rest as KubeObject;
}

function checkTypeMeta(type: ResourceType, body: KubeObject): void {
  if (typeof body !== "object" || body === null || typeof body.metadata !== "object" || body.metadata === null) {
    throw badRequest("the body of the request was in an unknown format");
  }
  if (!body.kind) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body).slice(0, 200)}'`);
  if (body.kind !== type.kind || body.apiVersion !== apiVersion(type)) {
    throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersion(type)})`);
  }
}

function checkImmutable(type: ResourceType, stored: KubeObject, next: KubeObject, causes: Causes): void {
  if (type.mutableSpec) {
    const keys = new Set([...Object.keys(stored.spec ?? {}), ...Object.keys(next.spec ?? {})]);
    for (const field of keys) {
      if (type.mutableSpec.includes(field)) continue;
      if (!isDeepStrictEqual(stored.spec?.[field], next.spec?.[field])) {
        causes.forbidden("spec", `${type.kind.toLowerCase()} updates may not change fields other than ${type.mutableSpec.map((f) => `\`spec.${f}\``).join(", ")}`);
        break;
      }
    }
  }
  if (stored.immutable === true && !isDeepStrictEqual(stored.data, next.data)) {
    causes.forbidden("data", "field is immutable when `immutable` is set");
  }
}

function randomSuffix(): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  return Array.from({ length: 5 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join("");
}
