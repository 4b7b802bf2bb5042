import assert from "node:assert/strict";
import { ApiException, CoreV1Api, KubeConfig, Watch, type V1Pod } from "@kubernetes/client-node";
import { startFakeKubernetes, type FakeKubernetes } from "@raworc/test-support/fake-kubernetes/index.js";
import { eventually } from "./runtime-contract.js";

const namespace = "fake-ns";

function podBody(name: string, labels: Record<string, string> = {}): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels },
    spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox:1.37" }] },
  };
}

/** The Status body of a failed call, parsed as a client would. */
async function statusOf(call: Promise<unknown>): Promise<{ code: number; reason: string; message: string; details?: { causes?: { field: string }[] } }> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof ApiException, String(error));
    return JSON.parse(error.body as string) as never;
  }
  return assert.fail("the call succeeded");
}

describe("the fake Kubernetes API server, through @kubernetes/client-node", () => {
  let fake: FakeKubernetes;
  let kubeConfig: KubeConfig;
  let core: CoreV1Api;

  beforeEach(async () => {
    fake = await startFakeKubernetes({ namespaces: [namespace], kubelet: { autoTerminate: false } });
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions(fake.kubeConfigOptions(namespace));
    core = kubeConfig.makeApiClient(CoreV1Api);
  });
  afterEach(() => fake.close());

  it("answers 404 NotFound, 409 AlreadyExists and 409 Conflict with Status bodies", async () => {
    assert.deepEqual(await statusOf(core.readNamespacedPod({ name: "nope", namespace })), {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'pods "nope" not found',
      reason: "NotFound",
      details: { name: "nope", kind: "pods" },
      code: 404,
    });
    const created = await core.createNamespacedPod({ namespace, body: podBody("p1") });
    const duplicate = await statusOf(core.createNamespacedPod({ namespace, body: podBody("p1") }));
    assert.deepEqual([duplicate.code, duplicate.reason, duplicate.message], [409, "AlreadyExists", 'pods "p1" already exists']);
    const secret = await core.createNamespacedSecret({ namespace, body: { apiVersion: "v1", kind: "Secret", metadata: { name: "s1" }, stringData: { k: "v" } } });
    assert.equal(secret.data?.k, Buffer.from("v").toString("base64"));
    await core.replaceNamespacedSecret({ name: "s1", namespace, body: { ...secret, data: { k: "dzI=" } } });
    const stale = await statusOf(core.replaceNamespacedSecret({ name: "s1", namespace, body: { ...secret, data: { k: "dzM=" } } }));
    assert.deepEqual([stale.code, stale.reason], [409, "Conflict"]);
    const precondition = await statusOf(core.deleteNamespacedPod({ name: "p1", namespace, body: { preconditions: { uid: "another" } } }));
    assert.match(precondition.message, /Precondition failed: UID in precondition: another, UID in object meta: /);
    assert.ok(created.metadata?.uid);
  });

  it("refuses invalid objects with 422 Invalid, naming every bad field", async () => {
    const body = podBody("Bad_Name");
    body.spec!.containers[0]!.image = "";
    body.spec!.containers[0]!.resources = { requests: { memory: "2Gi" }, limits: { memory: "1Gi" } };
    const status = await statusOf(core.createNamespacedPod({ namespace, body }));
    assert.equal(status.code, 422);
    assert.equal(status.reason, "Invalid");
    assert.deepEqual(status.details?.causes?.map((cause) => cause.field).sort(), ["metadata.name", "spec.containers[0].image", "spec.containers[0].resources.requests"]);
    const claim = await statusOf(
      core.createNamespacedPersistentVolumeClaim({ namespace, body: { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "c" }, spec: { resources: { requests: { storage: "lots" } } } } }),
    );
    assert.deepEqual(claim.details?.causes?.map((cause) => cause.field).sort(), ["spec.accessModes", "spec.resources[storage]"]);
    const missing = await statusOf(core.createNamespacedPod({ namespace: "elsewhere", body: podBody("p") }));
    assert.deepEqual([missing.code, missing.message], [404, 'namespaces "elsewhere" not found']);
  });

  it("refuses requests without the bearer token with 401", async () => {
    const anonymous = new KubeConfig();
    anonymous.loadFromOptions({ ...fake.kubeConfigOptions(namespace), users: [{ name: "fake", token: "wrong" }] });
    await assert.rejects(anonymous.makeApiClient(CoreV1Api).listNamespacedPod({ namespace }), (error: unknown) => error instanceof ApiException && error.code === 401);
    assert.equal(fake.requests.at(-1)?.status, 401);
  });

  it("keeps one resourceVersion for every resource, increasing with each change, and lists by label selector", async () => {
    const a = await core.createNamespacedPod({ namespace, body: podBody("a", { app: "x", tier: "web" }) });
    const s = await core.createNamespacedSecret({ namespace, body: { apiVersion: "v1", kind: "Secret", metadata: { name: "s" } } });
    const b = await core.createNamespacedPod({ namespace, body: podBody("b", { app: "y" }) });
    const versions = [a, s, b].map((object) => Number(object.metadata?.resourceVersion));
    assert.deepEqual(versions, [...versions].sort((x, y) => x - y));
    assert.equal(new Set(versions).size, 3);
    const names = async (labelSelector: string) => (await core.listNamespacedPod({ namespace, labelSelector })).items.map((pod) => pod.metadata?.name);
    assert.deepEqual(await names("app=x"), ["a"]);
    assert.deepEqual(await names("app in (x,y),app!=y"), ["a"]);
    assert.deepEqual(await names("tier"), ["a"]);
    assert.deepEqual(await names("!tier"), ["b"]);
    const list = await core.listNamespacedPod({ namespace });
    assert.equal(Number(list.metadata?.resourceVersion), versions[2]);
  });

  it("watches from a resourceVersion, translates selector transitions, and expires compacted versions with 410", async () => {
    const first = await core.createNamespacedPod({ namespace, body: podBody("w1", { watched: "yes" }) });
    await core.createNamespacedPod({ namespace, body: podBody("w2", { watched: "yes" }) });
    const events: string[] = [];
    const watch = new Watch(kubeConfig);
    const controller = await watch.watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { labelSelector: "watched=yes", resourceVersion: first.metadata?.resourceVersion },
      (type, object: V1Pod) => events.push(`${type} ${object.metadata?.name}`),
      () => undefined,
    );
    await eventually("the replayed change", 5000, () => Promise.resolve(events.length === 1));
    const w2 = await core.readNamespacedPod({ name: "w2", namespace });
    await core.replaceNamespacedPod({ name: "w2", namespace, body: { ...w2, metadata: { ...w2.metadata, labels: { watched: "no" } } } });
    await eventually("the transition", 5000, () => Promise.resolve(events.length === 2));
    assert.deepEqual(events, ["ADDED w2", "DELETED w2"]);
    controller.abort();

    fake.cluster.store.compact();
    await core.createNamespacedPod({ namespace, body: podBody("w3") });
    const expired: { type: string; code?: number; reason?: string }[] = [];
    let ended = false;
    await watch.watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { resourceVersion: first.metadata?.resourceVersion },
      (type, object: { code?: number; reason?: string }) => expired.push({ type, code: object.code, reason: object.reason }),
      () => (ended = true),
    );
    await eventually("the watch to end", 5000, () => Promise.resolve(ended));
    assert.deepEqual(expired, [{ type: "ERROR", code: 410, reason: "Expired" }]);
  });

  it("deletes a running pod gracefully and keeps a claim in use until its pod is gone", async () => {
    const claim = await core.createNamespacedPersistentVolumeClaim({
      namespace,
      body: { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
    });
    const body = podBody("user");
    body.spec!.volumes = [{ name: "data", persistentVolumeClaim: { claimName: "data" } }];
    body.spec!.containers[0]!.volumeMounts = [{ name: "data", mountPath: "/data" }];
    body.metadata!.ownerReferences = [{ apiVersion: "v1", kind: "PersistentVolumeClaim", name: "data", uid: claim.metadata!.uid! }];
    await core.createNamespacedPod({ namespace, body });
    fake.kubelet.run(namespace, "user");
    const deleting = await core.deleteNamespacedPod({ name: "user", namespace, gracePeriodSeconds: 30 });
    assert.ok(deleting.metadata?.deletionTimestamp, "a graceful deletion sets deletionTimestamp");
    assert.equal(deleting.metadata?.deletionGracePeriodSeconds, 30);
    await core.deleteNamespacedPersistentVolumeClaim({ name: "data", namespace });
    assert.ok((await core.readNamespacedPersistentVolumeClaim({ name: "data", namespace })).metadata?.deletionTimestamp, "protected while in use");
    fake.kubelet.finishTermination(namespace, "user");
    assert.equal(fake.object("pods", namespace, "user"), undefined);
    assert.equal(fake.object("persistentvolumeclaims", namespace, "data"), undefined);
    assert.equal((await statusOf(core.deleteNamespacedPod({ name: "user", namespace }))).code, 404);
  });
});
