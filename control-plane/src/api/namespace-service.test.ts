import assert from "node:assert/strict";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { AuthService } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { NamespacePhase, NamespaceService } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import { RbacService, RoleScope, SubjectKind } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { RoleSchema } from "../store/entities/rbac.js";
import { lockActiveNamespace, NamespaceStore } from "../store/namespaces.js";

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  assert.fail("expected the call to fail");
}

describe("NamespaceService (real server, real PostgreSQL)", function () {
  let t: TestServer;
  let token: string;
  let namespaces: Client<typeof NamespaceService>;
  let accounts: Client<typeof ServiceAccountService>;
  let rbac: Client<typeof RbacService>;
  before(async () => {
    t = await startTestServer();
    token = await login(t.url, "admin", t.adminPassword);
    namespaces = clientOf(NamespaceService, t.url, token);
    accounts = clientOf(ServiceAccountService, t.url, token);
    rbac = clientOf(RbacService, t.url, token);
  });
  after(async () => t?.stop());

  const createNamespace = (name: string, labels: Record<string, string> = {}) =>
    namespaces.createNamespace({ namespace: { metadata: { name, labels } } });
  const createAccount = (namespace: string, name: string) =>
    accounts.createServiceAccount({ serviceAccount: { metadata: { namespace, name }, active: true }, password: `${name}-password-123` });
  const createRole = (namespace: string, name: string) =>
    rbac.createRole({ role: { metadata: { namespace, name }, rules: [{ apiGroups: ["core"], resources: ["agents"], verbs: ["get"] }] } });
  const createBinding = (namespace: string, name: string, subject: string) =>
    rbac.createRoleBinding({
      roleBinding: {
        metadata: { namespace, name },
        roleRef: { scope: RoleScope.GLOBAL, name: "viewer" },
        subjects: [{ kind: SubjectKind.SERVICE_ACCOUNT, namespace, name: subject }],
      },
    });

  it("has the default namespace from the first start", async () => {
    const ns = (await namespaces.getNamespace({ name: "default" })).namespace!;
    assert.equal(ns.metadata?.name, "default");
    assert.equal(ns.status?.phase, NamespacePhase.ACTIVE);
  });

  it("creates, gets and lists namespaces, pages and filters them by label", async () => {
    const created = (await createNamespace("ns-list-a", { tier: "gold" })).namespace!;
    assert.equal(created.metadata?.namespace, "");
    assert.equal(created.metadata?.resourceVersion, "1");
    assert.equal(created.status?.phase, NamespacePhase.ACTIVE);
    await createNamespace("ns-list-b");
    await createNamespace("ns-list-c", { tier: "gold" });
    assert.equal((await namespaces.getNamespace({ name: "ns-list-b" })).namespace?.metadata?.uid.length, 36);

    const names: string[] = [];
    let pageToken = "";
    do {
      const page = await namespaces.listNamespaces({ pageSize: 2, pageToken });
      assert.ok(page.namespaces.length <= 2);
      names.push(...page.namespaces.map((n) => n.metadata!.name));
      pageToken = page.nextPageToken;
    } while (pageToken);
    assert.deepEqual(names.filter((n) => n.startsWith("ns-list-") || n === "default"), ["default", "ns-list-a", "ns-list-b", "ns-list-c"]);
    const gold = await namespaces.listNamespaces({ labelSelector: "tier=gold" });
    assert.deepEqual(gold.namespaces.map((n) => n.metadata!.name), ["ns-list-a", "ns-list-c"]);
  });

  it("refuses a duplicate name, a namespaced namespace and a bad name", async () => {
    await createNamespace("ns-dup");
    const dup = await failure(createNamespace("ns-dup"));
    assert.equal(dup.code, Code.AlreadyExists);
    assert.match(dup.rawMessage, /ns-dup/);
    const nested = await failure(namespaces.createNamespace({ namespace: { metadata: { name: "inner", namespace: "ns-dup" } } }));
    assert.equal(nested.code, Code.InvalidArgument);
    assert.match(nested.rawMessage, /metadata.namespace must be empty/);
    assert.equal((await failure(createNamespace("Not_A_Label"))).code, Code.InvalidArgument);
    assert.equal((await failure(namespaces.getNamespace({ name: "never-made" }))).code, Code.NotFound);
  });

  it("refuses accounts, roles and bindings in a namespace that does not exist", async () => {
    for (const attempt of [() => createAccount("nowhere", "sa"), () => createRole("nowhere", "role"), () => createBinding("nowhere", "binding", "sa")]) {
      const error = await failure(attempt());
      assert.equal(error.code, Code.FailedPrecondition);
      assert.match(error.rawMessage, /namespace "nowhere" does not exist/);
    }
  });

  it("deletes a namespace with its accounts, roles and bindings, and nothing of other namespaces", async () => {
    await createNamespace("doomed");
    await createNamespace("survivor");
    for (const ns of ["doomed", "survivor"]) {
      await createAccount(ns, "worker");
      await createRole(ns, "reader");
      await createBinding(ns, "worker-views", "worker");
    }
    const workerToken = await login(t.url, "doomed/worker", "worker-password-123");

    const deleted = (await namespaces.deleteNamespace({ name: "doomed" })).namespace!;
    assert.equal(deleted.status?.phase, NamespacePhase.TERMINATING);
    assert.equal((await failure(namespaces.getNamespace({ name: "doomed" }))).code, Code.NotFound);
    assert.equal((await failure(namespaces.deleteNamespace({ name: "doomed" }))).code, Code.NotFound);
    assert.equal((await accounts.listServiceAccounts({ namespace: "doomed" })).serviceAccounts.length, 0);
    assert.equal((await rbac.listRoles({ namespace: "doomed" })).roles.length, 0);
    assert.equal((await rbac.listRoleBindings({ namespace: "doomed" })).roleBindings.length, 0);
    assert.equal((await failure(clientOf(AuthService, t.url, workerToken).whoAmI({}))).code, Code.Unauthenticated);

    assert.equal((await accounts.listServiceAccounts({ namespace: "survivor" })).serviceAccounts.length, 1);
    assert.equal((await rbac.listRoles({ namespace: "survivor" })).roles.length, 1);
    assert.equal((await rbac.listRoleBindings({ namespace: "survivor" })).roleBindings.length, 1);

    // A namespace of the same name starts empty.
    await createNamespace("doomed");
    assert.equal((await rbac.listRoles({ namespace: "doomed" })).roles.length, 0);
  });

  it("refuses to delete the default namespace", async () => {
    const error = await failure(namespaces.deleteNamespace({ name: "default" }));
    assert.equal(error.code, Code.FailedPrecondition);
    assert.match(error.rawMessage, /"default" cannot be deleted/);
    assert.ok((await namespaces.getNamespace({ name: "default" })).namespace);
  });

  it("refuses to delete a namespace with live sessions unless forced", async () => {
    await createNamespace("busy");
    await createRole("busy", "reader");
    const store = new NamespaceStore(t.server.orm, { liveSessions: (_em, namespace) => Promise.resolve(namespace === "busy" ? 2 : 0) });
    const refused = await store.delete("busy", false).catch((e: unknown) => ConnectError.from(e));
    assert.ok(refused instanceof ConnectError);
    assert.equal(refused.code, Code.FailedPrecondition);
    assert.match(refused.rawMessage, /2 live sessions/);
    assert.equal((await rbac.listRoles({ namespace: "busy" })).roles.length, 1, "nothing was deleted");
    await store.delete("busy", true);
    assert.equal((await failure(namespaces.getNamespace({ name: "busy" }))).code, Code.NotFound);
  });

  it("waits for a creation in progress before deleting, so nothing is left behind", async () => {
    await createNamespace("racing");
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    // A creator that has checked the namespace but not yet written its row.
    const creator = t.server.orm.em.fork().transactional(async (em) => {
      await lockActiveNamespace(em, "racing");
      locked();
      await released;
      em.create(RoleSchema, { id: crypto.randomUUID(), namespace: "racing", name: "late", description: "", rules: [], labels: {}, annotations: {} });
      await em.flush();
    });
    await lockTaken;
    const deletion = namespaces.deleteNamespace({ name: "racing" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    await creator;
    await deletion;
    const left = await t.server.orm.em.fork().count(RoleSchema, { namespace: "racing" });
    assert.equal(left, 0, "the role created during the deletion went with the namespace");
    assert.equal((await failure(createRole("racing", "later"))).code, Code.FailedPrecondition);
  });

  it("is closed to accounts without a global grant", async () => {
    await createAccount("", "nobody");
    const nobody = clientOf(NamespaceService, t.url, await login(t.url, "nobody", "nobody-password-123"));
    assert.equal((await failure(nobody.createNamespace({ namespace: { metadata: { name: "mine" } } }))).code, Code.PermissionDenied);
    assert.equal((await failure(nobody.listNamespaces({}))).code, Code.PermissionDenied);
    assert.equal((await failure(nobody.deleteNamespace({ name: "default" }))).code, Code.PermissionDenied);
  });

  it("lets a binding in a namespace grant get on that namespace only, as in Kubernetes", async () => {
    await createNamespace("seen");
    await createNamespace("unseen");
    await createAccount("seen", "member");
    await createBinding("seen", "member-viewer", "member");
    const member = clientOf(NamespaceService, t.url, await login(t.url, "seen/member", "member-password-123"));
    assert.equal((await member.getNamespace({ name: "seen" })).namespace?.metadata?.name, "seen");
    assert.equal((await failure(member.getNamespace({ name: "unseen" }))).code, Code.PermissionDenied);
    assert.equal((await failure(member.listNamespaces({}))).code, Code.PermissionDenied);
  });
});
