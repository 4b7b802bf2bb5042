import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { RuntimeKind, SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { startFakeKubernetes, type FakeKubernetes } from "@raworc/test-support/fake-kubernetes/index.js";

async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} did not happen`);
}

describe("the server on the kubernetes runtime (fake Kubernetes API)", function () {
  this.timeout(60_000);
  let fake: FakeKubernetes;
  let t: TestServer;
  let dir: string;
  const savedKubeconfig = process.env.KUBECONFIG;

  before(async () => {
    fake = await startFakeKubernetes({ namespaces: ["raworc-sessions"] });
    dir = await mkdtemp(join(tmpdir(), "raworc-kubeconfig-"));
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions(fake.kubeConfigOptions("raworc-sessions"));
    await writeFile(join(dir, "config"), kubeConfig.exportConfig(), { mode: 0o600 });
    process.env.KUBECONFIG = join(dir, "config");
    t = await startTestServer({
      config: { runtime: "kubernetes", kubernetes: { namespace: "raworc-sessions", image: "raworc/session:test", storageClassName: undefined, snapshotClassName: undefined } },
    });
  });
  after(async () => {
    await t?.stop();
    await fake?.close();
    if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = savedKubeconfig;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("turns a new session into a hardened pod with its volume and token secret, and removes them on delete", async () => {
    const token = await login(t.url, "admin", t.adminPassword);
    await clientOf(AgentService, t.url, token).createAgent({
      agent: { metadata: { namespace: "default", name: "a" }, spec: { model: { provider: ModelProvider.SCRIPTED, scripted: { turns: [{ steps: [{ step: { case: "text", value: "x" } }] }] } } } },
    });
    const sessions = clientOf(SessionService, t.url, token);
    const { session } = await sessions.createSession({ session: { metadata: { namespace: "default", name: "k" }, spec: { agents: ["a"] } } });
    const id = session!.metadata!.uid;
    await eventually("a pod for the session", () => fake.objects("pods", "raworc-sessions").length === 1);
    const pod = fake.objects("pods", "raworc-sessions")[0] as { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> };
    assert.equal(pod.metadata.labels["raworc.dev/session-id"], id);
    assert.equal((await sessions.getSession({ ref: { namespace: "default", name: "k" } })).session?.status?.runtime?.kind, RuntimeKind.KUBERNETES);
    assert.equal(pod.spec.automountServiceAccountToken, false);
    assert.equal(fake.objects("persistentvolumeclaims", "raworc-sessions").length, 1);
    assert.equal(fake.objects("secrets", "raworc-sessions").length, 1);
    assert.ok(!JSON.stringify(pod).includes("eyJ"), "the daemon token is not in the pod spec");

    await sessions.deleteSession({ ref: { namespace: "default", name: "k" } });
    await eventually(
      "everything of the session removed",
      () => ["pods", "persistentvolumeclaims", "secrets"].every((plural) => fake.objects(plural, "raworc-sessions").length === 0),
    );
  });
});
