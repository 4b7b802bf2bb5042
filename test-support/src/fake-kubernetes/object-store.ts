/**
 * The fake's etcd: objects, one global monotonically increasing resourceVersion, and a bounded
 * history of changes from which watches resume; older versions have been compacted away.
 */
import { expired } from "./status.js";
import { clone, type KubeObject, type ObjectKey, type StoreEvent } from "./types.js";

/** Stores objects and their change history. */
export class ObjectStore {
  private version = 1000;
  private compactedThrough = 1000;
  private readonly objects = new Map<string, KubeObject>();
  private history: StoreEvent[] = [];
  private readonly listeners = new Set<(event: StoreEvent) => void>();

  constructor(private readonly historyLimit = 10_000) {}

  /** The latest resourceVersion (etcd's revision). */
  get resourceVersion(): number {
    return this.version;
  }

  /** A copy of one object, if stored. */
  get(key: ObjectKey): KubeObject | undefined {
    const object = this.objects.get(keyOf(key));
    return object && clone(object);
  }

  /** Copies of a resource's objects in one namespace (or all), ordered by namespace and name. */
  list(resource: string, namespace?: string): KubeObject[] {
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(`${resource}|${namespace === undefined ? "" : `${namespace}|`}`))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, object]) => clone(object));
  }

  /** Stores a new or changed object under a new resourceVersion; returns the stored copy. */
  put(key: ObjectKey, object: KubeObject): KubeObject {
    const previous = this.objects.get(keyOf(key));
    const stored = clone(object);
    stored.metadata.resourceVersion = String(++this.version);
    this.objects.set(keyOf(key), stored);
    this.record({ type: previous ? "MODIFIED" : "ADDED", ...key, resourceVersion: this.version, object: clone(stored), ...(previous ? { previous: clone(previous) } : {}) });
    return clone(stored);
  }

  /** Removes an object for good; the DELETED event carries it under a new resourceVersion. */
  remove(key: ObjectKey): KubeObject | undefined {
    const object = this.objects.get(keyOf(key));
    if (!object) return undefined;
    this.objects.delete(keyOf(key));
    object.metadata.resourceVersion = String(++this.version);
    this.record({ type: "DELETED", ...key, resourceVersion: this.version, object: clone(object) });
    return clone(object);
  }

  /** The changes after `from`; throws 410 Expired when they have been compacted away. */
  eventsSince(from: number): StoreEvent[] {
    if (from < this.compactedThrough) throw expired(from, this.compactedThrough + 1);
    return this.history.filter((event) => event.resourceVersion > from);
  }

  /** Forgets all history, as an etcd compaction does: watches from any earlier version expire. */
  compact(): void {
    this.history = [];
    this.compactedThrough = this.version;
  }

  /** Calls `listener` with every change from now on; returns the unsubscribe function. */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    while (this.history.length > this.historyLimit) this.compactedThrough = this.history.shift()?.resourceVersion ?? this.compactedThrough;
    for (const listener of [...this.listeners]) listener(event);
  }
}

function keyOf(key: ObjectKey): string {
  return `${key.resource}|${key.namespace}|${key.name}`;
}
