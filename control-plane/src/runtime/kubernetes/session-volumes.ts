/**
 * Session volumes: a PVC per session; a remix is a PVC whose `dataSource` is the source PVC (a
 * CSI clone) or, when a snapshot class is configured, a VolumeSnapshot of it taken for the remix.
 */
import type { V1PersistentVolumeClaim } from "@kubernetes/client-node";
import type { KubernetesClients } from "./client.js";
import type { ApiCaller } from "./idempotent-calls.js";
import { sessionIdOf, sessionObjectNames } from "./names.js";
import type { ResolvedKubernetesRuntimeOptions } from "./options.js";
import { maxQuantity } from "./quantity.js";
import {
  SNAPSHOT_GROUP,
  SNAPSHOT_PLURAL,
  SNAPSHOT_VERSION,
  buildRemixSnapshot,
  buildSessionVolume,
  type VolumeSource,
} from "./volume-manifests.js";

/** Creates, reads and deletes session volumes (and remix snapshots). */
export class SessionVolumes {
  constructor(
    private readonly clients: KubernetesClients,
    private readonly api: ApiCaller,
    private readonly options: ResolvedKubernetesRuntimeOptions,
  ) {}

  /** The session's PVC, if it exists. */
  read(sessionId: string): Promise<V1PersistentVolumeClaim | undefined> {
    const name = sessionObjectNames(sessionId).volume;
    return this.api.read(`read pvc ${name}`, () => this.clients.core.readNamespacedPersistentVolumeClaim({ name, namespace: this.options.namespace }));
  }

  /** Creates the session's PVC unless it exists; with `from`, from that session's PVC. */
  async ensure(sessionId: string, from: string | undefined, storage: string | undefined): Promise<void> {
    const existing = await this.read(sessionId);
    if (existing) return this.releaseRemixSnapshot(sessionId, existing);
    let size = storage || this.options.defaultResources.storage;
    let storageClassName = this.options.storageClassName;
    let source: VolumeSource = { kind: "empty" };
    if (from !== undefined) {
      const sourceVolume = await this.read(from);
      const claimName = sourceVolume?.metadata?.name;
      if (!sourceVolume || !claimName) throw new Error(`cannot remix from session ${from}: it has no volume`);
      // A clone or restore must be at least as large as its source, in the source's class.
      const sourceSize = sourceVolume.status?.capacity?.storage ?? sourceVolume.spec?.resources?.requests?.storage;
      if (sourceSize) size = maxQuantity(size, sourceSize);
      storageClassName = sourceVolume.spec?.storageClassName ?? storageClassName;
      source = { kind: "clone", claimName };
      if (this.options.snapshotClassName) {
        const body = buildRemixSnapshot(sessionId, claimName, this.options.snapshotClassName, this.options);
        await this.api.create(`create volumesnapshot ${body.metadata.name}`, () =>
          this.clients.customObjects.createNamespacedCustomObject({ ...this.snapshotPath(), body }),
        );
        source = { kind: "snapshot", snapshotName: body.metadata.name };
      }
    }
    const body = buildSessionVolume(sessionId, size, storageClassName, source, this.options);
    await this.api.create(`create pvc ${body.metadata?.name}`, () =>
      this.clients.core.createNamespacedPersistentVolumeClaim({ namespace: this.options.namespace, body }),
    );
  }

  /** Deletes the session's PVC and any remix snapshot; true if anything was there. */
  async delete(sessionId: string): Promise<boolean> {
    const names = sessionObjectNames(sessionId);
    const snapshot = await this.deleteSnapshot(sessionId);
    const volume = await this.api.delete(`delete pvc ${names.volume}`, () =>
      this.clients.core.deleteNamespacedPersistentVolumeClaim({ name: names.volume, namespace: this.options.namespace }),
    );
    return snapshot || volume;
  }

  /** Session ids of every remix snapshot (empty when snapshots are not configured). */
  async listSnapshotSessionIds(labelSelector: string): Promise<string[]> {
    if (!this.options.snapshotClassName) return [];
    const list = (await this.api.call("list volumesnapshots", () =>
      this.clients.customObjects.listNamespacedCustomObject({ ...this.snapshotPath(), labelSelector }),
    )) as { items?: { metadata?: { labels?: Record<string, string> } }[] };
    return (list.items ?? []).flatMap((item) => sessionIdOf(item) ?? []);
  }

  /** Once a restored volume is bound it no longer needs its snapshot. */
  async releaseRemixSnapshot(sessionId: string, volume: V1PersistentVolumeClaim): Promise<void> {
    if (volume.spec?.dataSource?.kind === "VolumeSnapshot" && volume.status?.phase === "Bound") await this.deleteSnapshot(sessionId);
  }

  private async deleteSnapshot(sessionId: string): Promise<boolean> {
    if (!this.options.snapshotClassName) return false;
    const name = sessionObjectNames(sessionId).snapshot;
    return this.api.delete(`delete volumesnapshot ${name}`, () =>
      this.clients.customObjects.deleteNamespacedCustomObject({ ...this.snapshotPath(), name }),
    );
  }

  private snapshotPath() {
    return { group: SNAPSHOT_GROUP, version: SNAPSHOT_VERSION, namespace: this.options.namespace, plural: SNAPSHOT_PLURAL };
  }
}
