/**
 * The kubernetes runtime's behaviour as the reconciler relies on it, written once and run
 * against the fake API server and, when KUBECONFIG is set, against a real cluster.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { SessionLaunch } from "../session-runtime.js";
import type { KubernetesClients } from "./client.js";
import { KubernetesSessionRuntime, type KubernetesSessionRuntimeOptions } from "./kubernetes-runtime.js";
import { sessionObjectNames } from "./names.js";
import { tokenOf } from "./secret-manifest.js";

/** Where the contract runs and how it makes pods run there. */
export interface RuntimeTarget {
  readonly namespace: string;
  readonly clients: KubernetesClients;
  /** Options every runtime under test gets (image, command, storage class, fast retries). */
  readonly options: Omit<KubernetesSessionRuntimeOptions, "namespace">;
  /** Brings the session's pod to Running (the fake's kubelet runs it; a cluster is waited for). */
  podRunning(sessionId: string): Promise<void>;
  /** Ends the session's daemon with an exit code, where the target can. */
  readonly podExits?: (sessionId: string, exitCode: number) => Promise<void>;
  /** How long eventual conditions may take. */
  readonly patienceMs: number;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `patienceMs`. */
export async function eventually<T>(what: string, patienceMs: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A launch of a fresh session. */
export function launchOf(sessionId: string, token = `token-${randomUUID()}`): SessionLaunch {
  return {
    sessionId,
    namespace: "team-a",
    name: `s-${sessionId.slice(0, 8)}`,
    controlPlaneUrl: "http://raworc-control-plane.raworc.svc:8080",
    daemonToken: token,
    resources: { cpu: "100m", memory: "64Mi", storage: "1Gi" },
  };
}

/** Defines the contract's tests in the current describe block. */
export function describeRuntimeContract(getTarget: () => RuntimeTarget): void {
  let target: RuntimeTarget;
  let runtime: KubernetesSessionRuntime;
  let sessions: string[];
  const newSession = () => {
    const sessionId = randomUUID();
    sessions.push(sessionId);
    return sessionId;
  };
  const readPod = (sessionId: string) =>
    target.clients.core.readNamespacedPod({ name: sessionObjectNames(sessionId).pod, namespace: target.namespace });
  const readVolume = (sessionId: string) =>
    target.clients.core.readNamespacedPersistentVolumeClaim({ name: sessionObjectNames(sessionId).volume, namespace: target.namespace });

  beforeEach(() => {
    target = getTarget();
    runtime = new KubernetesSessionRuntime(target.clients, { namespace: target.namespace, ...target.options });
    sessions = [];
  });

  afterEach(async () => {
    for (const sessionId of sessions) await runtime.destroy(sessionId);
    await runtime.close();
  });

  it("creates a session's volume once, however often asked", async () => {
    const sessionId = newSession();
    await runtime.ensureVolume(sessionId, { storage: "1Gi" });
    const first = await readVolume(sessionId);
    await runtime.ensureVolume(sessionId, { storage: "1Gi" });
    assert.equal((await readVolume(sessionId)).metadata?.uid, first.metadata?.uid);
    assert.equal(first.spec?.resources?.requests?.storage, "1Gi");
    assert.equal(first.metadata?.labels?.["raworc.dev/session-id"], sessionId);
    assert.deepEqual(await runtime.observe(sessionId), { sessionId, volume: "present", daemon: "absent" });
  });

  it("starts a pod that is observed starting, then running with the pod name as handle; a second start changes nothing", async () => {
    const sessionId = newSession();
    await runtime.ensureVolume(sessionId);
    await runtime.start(launchOf(sessionId));
    const started = await runtime.observe(sessionId);
    assert.ok(started.daemon === "starting" || started.daemon === "running", started.daemon);
    await target.podRunning(sessionId);
    assert.deepEqual(await runtime.observe(sessionId), { sessionId, volume: "present", daemon: "running", handle: `raworc-${sessionId}` });
    const uid = (await readPod(sessionId)).metadata?.uid;
    await runtime.start(launchOf(sessionId));
    assert.equal((await readPod(sessionId)).metadata?.uid, uid);
  });

  it("gives the daemon its token through the session's Secret only", async () => {
    const sessionId = newSession();
    const launch = launchOf(sessionId);
    await runtime.ensureVolume(sessionId);
    await runtime.start(launch);
    const pod = await readPod(sessionId);
    assert.ok(!JSON.stringify(pod).includes(launch.daemonToken), "the token is in the pod");
    const env = pod.spec?.containers[0]?.env?.find((variable) => variable.name === "RAWORC_SESSION_TOKEN");
    assert.deepEqual({ ...env?.valueFrom?.secretKeyRef }, { name: sessionObjectNames(sessionId).secret, key: "token" });
    const secret = await target.clients.core.readNamespacedSecret({ name: sessionObjectNames(sessionId).secret, namespace: target.namespace });
    assert.equal(tokenOf(secret), launch.daemonToken);
    const volume = await readVolume(sessionId);
    for (const owned of [pod, secret]) assert.deepEqual(owned.metadata?.ownerReferences?.map((owner) => owner.uid), [volume.metadata?.uid]);
  });

  it("stop deletes the pod and keeps the volume; start resumes on the same volume with a new token", async () => {
    const sessionId = newSession();
    await runtime.ensureVolume(sessionId);
    await runtime.start(launchOf(sessionId));
    await target.podRunning(sessionId);
    const volumeUid = (await readVolume(sessionId)).metadata?.uid;
    await runtime.stop(sessionId, { graceMs: 1000 });
    assert.deepEqual(await runtime.observe(sessionId), { sessionId, volume: "present", daemon: "absent" });
    await runtime.stop(sessionId);
    const resumed = launchOf(sessionId);
    await runtime.start(resumed);
    await target.podRunning(sessionId);
    assert.equal((await runtime.observe(sessionId)).daemon, "running");
    assert.equal((await readVolume(sessionId)).metadata?.uid, volumeUid);
    const secret = await target.clients.core.readNamespacedSecret({ name: sessionObjectNames(sessionId).secret, namespace: target.namespace });
    assert.equal(tokenOf(secret), resumed.daemonToken);
  });

  it("observes a daemon that died as exited with its exit code, and start replaces the dead pod", async function () {
    if (!getTarget().podExits) this.skip(); // waits for: a target whose kubelet lets the test end a container (the fake; not a real cluster)
    const sessionId = newSession();
    await runtime.ensureVolume(sessionId);
    await runtime.start(launchOf(sessionId));
    await target.podRunning(sessionId);
    await target.podExits!(sessionId, 3);
    const observed = await runtime.observe(sessionId);
    assert.equal(observed.daemon, "exited");
    assert.equal(observed.exitCode, 3);
    const deadUid = (await readPod(sessionId)).metadata?.uid;
    await runtime.start(launchOf(sessionId));
    assert.notEqual((await readPod(sessionId)).metadata?.uid, deadUid);
    assert.notEqual((await runtime.observe(sessionId)).daemon, "exited");
  });

  it("remixes a volume into a new PVC whose dataSource is the source PVC, at least as large", async () => {
    const parent = newSession();
    const child = newSession();
    await runtime.ensureVolume(parent, { storage: "2Gi" });
    await runtime.ensureVolume(child, { from: parent, storage: "1Gi" });
    const volume = await readVolume(child);
    assert.deepEqual({ ...volume.spec?.dataSource }, { kind: "PersistentVolumeClaim", name: `raworc-${parent}` });
    assert.equal(volume.spec?.resources?.requests?.storage, "2Gi");
    assert.equal(volume.spec?.storageClassName, (await readVolume(parent)).spec?.storageClassName);
    await assert.rejects(runtime.ensureVolume(newSession(), { from: randomUUID() }), /has no volume/);
  });

  it("destroy removes pod, Secret and volume, and is a no-op the second time", async () => {
    const sessionId = newSession();
    await runtime.ensureVolume(sessionId);
    await runtime.start(launchOf(sessionId));
    await target.podRunning(sessionId);
    await runtime.destroy(sessionId);
    await eventually("the volume to go", target.patienceMs, async () => (await runtime.observe(sessionId)).volume === "absent");
    assert.deepEqual(await runtime.observe(sessionId), { sessionId, volume: "absent", daemon: "absent" });
    const secrets = await target.clients.core.listNamespacedSecret({ namespace: target.namespace, labelSelector: `raworc.dev/session-id=${sessionId}` });
    assert.deepEqual(secrets.items, []);
    await runtime.destroy(sessionId);
    assert.ok(!(await runtime.list()).some((observation) => observation.sessionId === sessionId));
  });

  it("lists every session it has a volume or pod of", async () => {
    const withPod = newSession();
    const volumeOnly = newSession();
    await runtime.ensureVolume(withPod);
    await runtime.start(launchOf(withPod));
    await runtime.ensureVolume(volumeOnly);
    const listed = await runtime.list();
    const of = (sessionId: string) => listed.find((observation) => observation.sessionId === sessionId);
    assert.equal(of(withPod)?.handle, `raworc-${withPod}`);
    assert.deepEqual(of(volumeOnly), { sessionId: volumeOnly, volume: "present", daemon: "absent" });
  });

  it("refuses to start a session without a volume", async () => {
    await assert.rejects(runtime.start(launchOf(randomUUID())), /ensureVolume first/);
  });

  it("watch reports pod changes of a session", async () => {
    const sessionId = newSession();
    const seen: string[] = [];
    const stop = new AbortController();
    runtime.watch((changed) => seen.push(changed), stop.signal);
    try {
      await runtime.ensureVolume(sessionId);
      await runtime.start(launchOf(sessionId));
      await eventually("a change for the new pod", target.patienceMs, () => Promise.resolve(seen.includes(sessionId)));
      await target.podRunning(sessionId);
      // Created, then scheduled and running: at least two changes, whenever the watch began.
      await eventually("a change for the running pod", target.patienceMs, () => Promise.resolve(seen.filter((changed) => changed === sessionId).length >= 2));
    } finally {
      stop.abort();
    }
  });
}
