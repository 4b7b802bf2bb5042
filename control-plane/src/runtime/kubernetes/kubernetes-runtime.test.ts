import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { KubeConfig } from "@kubernetes/client-node";
import { startFakeKubernetes, type FakeKubernetes, type FakeKubernetesOptions } from "@raworc/test-support/fake-kubernetes/index.js";
import { DependencyUnavailableError } from "../../errors.js";
import { KubernetesApiError } from "./api-errors.js";
import { createKubernetesClients } from "./client.js";
import { KubernetesSessionRuntime, type KubernetesSessionRuntimeOptions } from "./kubernetes-runtime.js";
import { describeRuntimeContract, eventually, launchOf, type RuntimeTarget } from "./runtime-contract.js";

const namespace = "raworc-sessions";

/** A runtime target on a fake API server, with fast retries so fault tests stay quick. */
function fakeTarget(fake: FakeKubernetes): RuntimeTarget {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions(fake.kubeConfigOptions(namespace));
  return {
    namespace,
    clients: createKubernetesClients(kubeConfig),
    options: {
      image: "ghcr.io/raworc/agent:0.1.0",
      storageClassName: "csi-fast",
      retry: { attempts: 5, baseDelayMs: 1, maxDelayMs: 5 },
      watchBackoff: { baseDelayMs: 1, maxDelayMs: 20 },
      pollIntervalMs: 5,
    },
    podRunning: (sessionId) => Promise.resolve(void fake.kubelet.run(namespace, `raworc-${sessionId}`)),
    podExits: (sessionId, exitCode) => Promise.resolve(void fake.kubelet.exit(namespace, `raworc-${sessionId}`, { exitCode })),
    patienceMs: 5000,
  };
}

describe("kubernetes runtime against the fake API server", () => {
  let fake: FakeKubernetes;
  let target: RuntimeTarget;
  let runtime: KubernetesSessionRuntime;
  const open = async (fakeOptions: FakeKubernetesOptions = {}, options: Partial<KubernetesSessionRuntimeOptions> = {}) => {
    await fake?.close();
    fake = await startFakeKubernetes({ namespaces: [namespace], ...fakeOptions });
    target = fakeTarget(fake);
    runtime = new KubernetesSessionRuntime(target.clients, { namespace, ...target.options, ...options });
  };
  const pod = (sessionId: string) => fake.object("pods", namespace, `raworc-${sessionId}`);
  const volume = (sessionId: string) => fake.object("persistentvolumeclaims", namespace, `raworc-${sessionId}`);

  beforeEach(() => open());
  afterEach(async () => {
    await runtime.close();
    await fake.close();
  });

  describe("the runtime contract", () => {
    describeRuntimeContract(() => target);
  });

  describe("remix through a VolumeSnapshot", () => {
    it("snapshots the source, restores the new PVC from the snapshot, and deletes the snapshot once the PVC is bound", async () => {
      await open({ volumeBinding: "WaitForFirstConsumer" }, { snapshotClassName: "csi-snapclass" });
      const parent = randomUUID();
      const child = randomUUID();
      await runtime.ensureVolume(parent);
      await runtime.start(launchOf(parent));
      fake.kubelet.run(namespace, `raworc-${parent}`);
      await runtime.ensureVolume(child, { from: parent });
      const snapshot = fake.object("volumesnapshots", namespace, `raworc-${child}-remix`);
      assert.deepEqual(snapshot?.spec, { volumeSnapshotClassName: "csi-snapclass", source: { persistentVolumeClaimName: `raworc-${parent}` } });
      assert.equal((snapshot?.status as { readyToUse?: boolean }).readyToUse, true);
      assert.deepEqual(volume(child)?.spec?.dataSource, { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: `raworc-${child}-remix` });
      assert.ok((await runtime.list()).some((observation) => observation.sessionId === child));
      await runtime.start(launchOf(child));
      fake.kubelet.run(namespace, `raworc-${child}`);
      assert.equal((volume(child)?.status as { phase?: string }).phase, "Bound");
      await runtime.ensureVolume(child);
      assert.equal(fake.object("volumesnapshots", namespace, `raworc-${child}-remix`), undefined);
      await runtime.destroy(child);
      await runtime.destroy(parent);
      assert.deepEqual(await runtime.list(), []);
    });

    it("destroy deletes a snapshot the remix never released", async () => {
      await open({}, { snapshotClassName: "csi-snapclass" });
      const parent = randomUUID();
      const child = randomUUID();
      await runtime.ensureVolume(parent);
      await runtime.ensureVolume(child, { from: parent });
      await runtime.destroy(child);
      assert.deepEqual(fake.objects("volumesnapshots", namespace), []);
      await runtime.destroy(parent);
    });
  });

  describe("watch", () => {
    const watching = () => {
      const seen: string[] = [];
      const stop = new AbortController();
      runtime.watch((sessionId) => seen.push(sessionId), stop.signal);
      return { seen, stop };
    };
    const started = async () => {
      const sessionId = randomUUID();
      await runtime.ensureVolume(sessionId);
      await runtime.start(launchOf(sessionId));
      return sessionId;
    };

    it("survives an expired watch (410 Gone) by relisting, and reports every session the list shows", async () => {
      const { seen, stop } = watching();
      const sessionId = await started();
      await eventually("the first change", 5000, () => Promise.resolve(seen.includes(sessionId)));
      const lists = fake.countRequests({ method: "GET", resource: "pods", watch: false });
      const before = seen.length;
      fake.expireWatches();
      await eventually("a relist", 5000, () => Promise.resolve(fake.countRequests({ method: "GET", resource: "pods", watch: false }) === lists + 1));
      await eventually("the relist to report the session", 5000, () => Promise.resolve(seen.slice(before).includes(sessionId)));
      await eventually("a new watch", 5000, () => Promise.resolve(fake.openWatches === 1));
      const relisted = seen.length;
      fake.kubelet.run(namespace, `raworc-${sessionId}`);
      await eventually("a change after the relist", 5000, () => Promise.resolve(seen.slice(relisted).includes(sessionId)));
      stop.abort();
    });

    it("relists when the version it resumes from has been compacted away", async () => {
      const { seen, stop } = watching();
      const sessionId = await started();
      await eventually("the first change", 5000, () => Promise.resolve(seen.includes(sessionId)));
      const lists = fake.countRequests({ method: "GET", resource: "pods", watch: false });
      // While no watch is open, a change happens and history up to it is compacted away.
      fake.closeWatches();
      fake.kubelet.run(namespace, `raworc-${sessionId}`);
      fake.cluster.store.compact();
      await eventually("a relist", 5000, () => Promise.resolve(fake.countRequests({ method: "GET", resource: "pods", watch: false }) === lists + 1));
      const resumed = fake.requests.filter((r) => r.resource === "pods" && r.watch);
      assert.ok(resumed.length >= 2, "it tried to resume before relisting");
      await eventually("the relist to report the change", 5000, () => Promise.resolve(seen.filter((id) => id === sessionId).length >= 2));
      stop.abort();
    });

    it("resumes from the last resourceVersion after a clean close, without relisting or missing a change", async () => {
      const { seen, stop } = watching();
      const sessionId = await started();
      await eventually("the first change", 5000, () => Promise.resolve(seen.includes(sessionId)));
      const lists = fake.requests.filter((r) => r.resource === "pods" && !r.watch && !r.name).length;
      fake.closeWatches();
      // A change while no watch is open: the resumed watch replays it from history.
      fake.kubelet.run(namespace, `raworc-${sessionId}`);
      const before = seen.length;
      await eventually("the missed change", 5000, () => Promise.resolve(seen.length > before));
      const watches = fake.requests.filter((r) => r.resource === "pods" && r.watch);
      assert.ok(watches.length >= 2);
      assert.ok(Number(watches.at(-1)?.query.resourceVersion) > Number(watches[0]?.query.resourceVersion));
      assert.equal(fake.requests.filter((r) => r.resource === "pods" && !r.watch && !r.name).length, lists, "no relist");
      stop.abort();
    });

    it("backs off and recovers when watch requests fail", async () => {
      const { seen, stop } = watching();
      await eventually("the watch", 5000, () => Promise.resolve(fake.openWatches === 1));
      fake.faults.failNext(3, 500, { match: { watch: true } });
      fake.closeWatches();
      const sessionId = await started();
      await eventually("a change after the failures", 5000, () => Promise.resolve(seen.includes(sessionId)));
      assert.ok(fake.countRequests({ resource: "pods", watch: true }) >= 5);
      stop.abort();
    });

    it("stops when its signal aborts or the runtime closes", async () => {
      const { stop } = watching();
      watching();
      await eventually("two watches", 5000, () => Promise.resolve(fake.openWatches === 2));
      stop.abort();
      await eventually("one watch", 5000, () => Promise.resolve(fake.openWatches === 1));
      await runtime.close();
      await eventually("no watch", 5000, () => Promise.resolve(fake.openWatches === 0));
    });
  });

  describe("API failures", () => {
    it("treats 409 AlreadyExists on create as success: an earlier attempt made the object", async () => {
      const sessionId = randomUUID();
      await runtime.ensureVolume(sessionId);
      await runtime.start(launchOf(sessionId, "t-1"));
      // The read misses what exists (as after a lost response), so every create answers 409.
      fake.faults.failNext(1, 404, { match: { method: "GET", resource: "persistentvolumeclaims" }, reason: "NotFound" });
      await runtime.ensureVolume(sessionId);
      fake.faults.failNext(1, 404, { match: { method: "GET", resource: "pods" }, reason: "NotFound" });
      await runtime.start(launchOf(sessionId, "t-1"));
      assert.equal(fake.requests.filter((r) => r.method === "POST" && r.status === 409).length, 3);
      assert.equal(fake.objects("pods", namespace).length, 1);
    });

    it("retries a 500 storm with backoff until it passes, counting the attempts", async () => {
      const sessionId = randomUUID();
      fake.faults.failNext(3, 500, { match: { method: "POST", resource: "persistentvolumeclaims" } });
      await runtime.ensureVolume(sessionId);
      assert.equal(fake.countRequests({ method: "POST", resource: "persistentvolumeclaims" }), 4);
      assert.ok(volume(sessionId));
    });

    it("gives up after its attempts with DependencyUnavailableError when the storm lasts", async () => {
      fake.faults.failNext(100, 503, { match: { method: "GET", resource: "pods" } });
      await assert.rejects(runtime.observe(randomUUID()), DependencyUnavailableError);
      assert.equal(fake.countRequests({ method: "GET", resource: "pods" }), 5);
    });

    it("retries 429 (with Retry-After) and connection resets", async () => {
      const sessionId = randomUUID();
      fake.faults.failNext(2, 429, { match: { method: "POST" }, retryAfterSeconds: 0 });
      fake.faults.resetNext(1, { match: { method: "GET", resource: "persistentvolumeclaims" } });
      await runtime.ensureVolume(sessionId);
      assert.equal(fake.countRequests({ method: "POST", resource: "persistentvolumeclaims" }), 3);
      assert.equal(fake.requests.filter((r) => r.status === 0).length, 1, "one connection was reset");
      assert.ok(volume(sessionId));
    });

    it("does not retry what will not change: 422 Invalid and 403 Forbidden", async () => {
      fake.faults.failNext(1, 422, { match: { method: "POST" }, reason: "Invalid", message: 'PersistentVolumeClaim "x" is invalid' });
      await assert.rejects(runtime.ensureVolume(randomUUID()), (error: unknown) => error instanceof KubernetesApiError && error.code === 422 && error.reason === "Invalid");
      fake.faults.failNext(1, 403, { match: { method: "GET" }, reason: "Forbidden" });
      await assert.rejects(runtime.observe(randomUUID()), (error: unknown) => error instanceof KubernetesApiError && error.code === 403);
      assert.equal(fake.countRequests({ method: "POST" }), 1);
    });

    it("treats 404 on delete as success", async () => {
      const sessionId = randomUUID();
      await runtime.ensureVolume(sessionId);
      await runtime.destroy(sessionId);
      await runtime.destroy(sessionId);
      const deletes = fake.requests.filter((r) => r.method === "DELETE");
      assert.deepEqual(deletes.map((r) => `${r.resource} ${r.status}`), ["secrets 404", "persistentvolumeclaims 200", "secrets 404", "persistentvolumeclaims 404"]);
    });

    it("survives slow answers", async () => {
      fake.faults.delayNext(3, 50);
      const sessionId = randomUUID();
      await runtime.ensureVolume(sessionId);
      assert.equal((await runtime.observe(sessionId)).volume, "present");
    });
  });

  describe("stopping and ownership", () => {
    it("waits for a graceful stop, reports a pod its kubelet has not finished as terminating, and force-deletes it past its grace", async () => {
      await open({ kubelet: { autoTerminate: false } }, { terminationSlackMs: 0, forceDeleteAfterMs: 0 });
      const sessionId = randomUUID();
      await runtime.ensureVolume(sessionId);
      await runtime.start(launchOf(sessionId));
      fake.kubelet.run(namespace, `raworc-${sessionId}`);
      await runtime.stop(sessionId, { graceMs: 1000 });
      assert.deepEqual(await runtime.observe(sessionId), { sessionId, volume: "present", daemon: "running", message: "terminating", handle: `raworc-${sessionId}` });
      await runtime.stop(sessionId, { graceMs: 1000 });
      assert.equal(pod(sessionId), undefined);
      const graces = fake.requests.filter((r) => r.method === "DELETE").map((r) => r.query.gracePeriodSeconds);
      assert.deepEqual(graces, ["1", "0"]);
    });

    it("a start while the old pod terminates waits for it, then starts a new one", async () => {
      await open({ kubelet: { autoTerminate: false } }, { terminationSlackMs: 0, terminationGracePeriodSeconds: 2 });
      const sessionId = randomUUID();
      await runtime.ensureVolume(sessionId);
      await runtime.start(launchOf(sessionId));
      const old = fake.kubelet.run(namespace, `raworc-${sessionId}`);
      await runtime.stop(sessionId, { graceMs: 1000 });
      assert.equal(pod(sessionId)?.metadata.uid, old.metadata.uid, "still terminating");
      setTimeout(() => fake.kubelet.finishTermination(namespace, `raworc-${sessionId}`), 20);
      await runtime.start(launchOf(sessionId));
      assert.notEqual(pod(sessionId)?.metadata.uid, old.metadata.uid);
      assert.equal((await runtime.observe(sessionId)).daemon, "starting");
    });

    it("a start refuses, retryably, while an old pod outlasts its grace", async () => {
      await open({ kubelet: { autoTerminate: false } }, { terminationSlackMs: 0, terminationGracePeriodSeconds: 1 });
      const sessionId = randomUUID();
      await runtime.ensureVolume(sessionId);
      await runtime.start(launchOf(sessionId));
      fake.kubelet.run(namespace, `raworc-${sessionId}`);
      await runtime.stop(sessionId);
      await assert.rejects(runtime.start(launchOf(sessionId)), (error: unknown) => error instanceof KubernetesApiError && error.retryable && /still terminating/.test(error.message));
    });

    it("stop of a pod that never got a node deletes it at once", async () => {
      const sessionId = randomUUID();
      await runtime.ensureVolume(sessionId);
      await runtime.start(launchOf(sessionId));
      await runtime.stop(sessionId);
      assert.equal(pod(sessionId), undefined);
    });

    it("deleting the volume garbage-collects the session's pod and Secret through their owner references", async () => {
      const sessionId = randomUUID();
      await runtime.ensureVolume(sessionId);
      await runtime.start(launchOf(sessionId));
      fake.kubelet.run(namespace, `raworc-${sessionId}`);
      await target.clients.core.deleteNamespacedPersistentVolumeClaim({ name: `raworc-${sessionId}`, namespace, propagationPolicy: "Foreground" });
      await eventually("everything to go", 5000, async () => (await runtime.list()).length === 0);
      assert.deepEqual(fake.objects("secrets", namespace), []);
    });
  });
});
