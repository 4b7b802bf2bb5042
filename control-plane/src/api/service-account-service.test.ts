import assert from "node:assert/strict";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { toJsonString } from "@bufbuild/protobuf";
import { NamespaceService } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import { ServiceAccountSchema, ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  assert.fail("expected the call to fail");
}

describe("ServiceAccountService (real server, real PostgreSQL)", function () {
  let t: TestServer;
  let admin: Client<typeof ServiceAccountService>;
  before(async () => {
    t = await startTestServer();
    const token = await login(t.url, "admin", t.adminPassword);
    admin = clientOf(ServiceAccountService, t.url, token);
    const namespaces = clientOf(NamespaceService, t.url, token);
    for (const name of ["team-a", "team-b", "paging"]) await namespaces.createNamespace({ namespace: { metadata: { name } } });
  });
  after(async () => t?.stop());

  const create = (name: string, namespace = "", labels: Record<string, string> = {}) =>
    admin.createServiceAccount({
      serviceAccount: { metadata: { name, namespace, labels }, active: true, description: `${name} account` },
      password: `${name}-password-123`,
    });

  it("creates, gets, updates and deletes an account, never returning the password", async () => {
    const created = (await create("ci-bot", "team-a", { team: "a" })).serviceAccount!;
    assert.equal(created.metadata?.name, "ci-bot");
    assert.equal(created.metadata?.namespace, "team-a");
    assert.match(created.metadata?.uid ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(created.metadata?.resourceVersion, "1");
    assert.ok(!toJsonString(ServiceAccountSchema, created).toLowerCase().includes("password"));

    const got = (await admin.getServiceAccount({ ref: { namespace: "team-a", name: "ci-bot" } })).serviceAccount!;
    assert.equal(got.description, "ci-bot account");
    const updated = (await admin.updateServiceAccount({ serviceAccount: { ...got, description: "builds things" } })).serviceAccount!;
    assert.equal(updated.description, "builds things");
    assert.equal(updated.metadata?.resourceVersion, "2");

    await admin.deleteServiceAccount({ ref: { namespace: "team-a", name: "ci-bot" } });
    assert.equal((await failure(admin.getServiceAccount({ ref: { namespace: "team-a", name: "ci-bot" } }))).code, Code.NotFound);
    assert.equal((await failure(admin.deleteServiceAccount({ ref: { namespace: "team-a", name: "ci-bot" } }))).code, Code.NotFound);
  });

  it("refuses a duplicate name with ALREADY_EXISTS, but allows it in another namespace", async () => {
    await create("dup", "team-a");
    const error = await failure(create("dup", "team-a"));
    assert.equal(error.code, Code.AlreadyExists);
    assert.match(error.rawMessage, /team-a\/dup/);
    await create("dup", "team-b");
  });

  it("refuses a namespaced account in a namespace that does not exist with FAILED_PRECONDITION", async () => {
    const error = await failure(create("lost", "nowhere"));
    assert.equal(error.code, Code.FailedPrecondition);
    assert.match(error.rawMessage, /namespace "nowhere" does not exist/);
  });

  it("refuses a stale resource_version with ABORTED and keeps the stored value", async () => {
    const sa = (await create("racer")).serviceAccount!;
    await admin.updateServiceAccount({ serviceAccount: { ...sa, description: "first" } });
    const error = await failure(admin.updateServiceAccount({ serviceAccount: { ...sa, description: "second" } }));
    assert.equal(error.code, Code.Aborted);
    assert.equal((await admin.getServiceAccount({ ref: { name: "racer" } })).serviceAccount?.description, "first");
  });

  it("validates names, passwords and versions with INVALID_ARGUMENT", async () => {
    for (const name of ["Upper", "under_score", "-lead", "x".repeat(64), "a/b"]) {
      assert.equal((await failure(create(name))).code, Code.InvalidArgument, name);
    }
    const noName = await failure(admin.createServiceAccount({ serviceAccount: { metadata: {} }, password: "long-enough-password" }));
    assert.equal(noName.code, Code.InvalidArgument);
    const weak = await failure(admin.createServiceAccount({ serviceAccount: { metadata: { name: "weak" } }, password: "short" }));
    assert.equal(weak.code, Code.InvalidArgument);
    assert.match(weak.rawMessage, /password/);
    const sa = (await create("versioned")).serviceAccount!;
    const bad = await failure(admin.updateServiceAccount({ serviceAccount: { ...sa, metadata: { ...sa.metadata!, resourceVersion: "abc" } } }));
    assert.equal(bad.code, Code.InvalidArgument);
  });

  it("pages through a list and filters by namespace and labels", async () => {
    for (let i = 0; i < 7; i++) await create(`page-${i}`, "paging", { parity: i % 2 ? "odd" : "even" });
    const names: string[] = [];
    let pageToken = "";
    do {
      const page = await admin.listServiceAccounts({ namespace: "paging", pageSize: 3, pageToken });
      assert.ok(page.serviceAccounts.length <= 3);
      names.push(...page.serviceAccounts.map((s) => s.metadata!.name));
      pageToken = page.nextPageToken;
    } while (pageToken);
    assert.deepEqual(names, [0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`));
    const odd = await admin.listServiceAccounts({ namespace: "paging", labelSelector: "parity=odd" });
    assert.deepEqual(odd.serviceAccounts.map((s) => s.metadata!.name), ["page-1", "page-3", "page-5"]);
    const notOdd = await admin.listServiceAccounts({ namespace: "paging", labelSelector: "parity!=odd,parity" });
    assert.equal(notOdd.serviceAccounts.length, 4);
    assert.equal((await failure(admin.listServiceAccounts({ labelSelector: "bad key=x" }))).code, Code.InvalidArgument);
    assert.equal((await failure(admin.listServiceAccounts({ pageToken: "garbage!" }))).code, Code.InvalidArgument);
  });

  it("resets a password: the account logs in with the new one only", async () => {
    await create("resettable");
    await admin.setServiceAccountPassword({ ref: { name: "resettable" }, password: "brand-new-password" });
    await login(t.url, "resettable", "brand-new-password");
    assert.equal((await failure(login(t.url, "resettable", "resettable-password-123"))).code, Code.Unauthenticated);
  });

  it("is closed to accounts other than admin, and to anonymous callers", async () => {
    await create("mallory");
    const mallory = clientOf(ServiceAccountService, t.url, await login(t.url, "mallory", "mallory-password-123"));
    const denied = await failure(mallory.listServiceAccounts({}));
    assert.equal(denied.code, Code.PermissionDenied);
    const anonymous = clientOf(ServiceAccountService, t.url);
    assert.equal((await failure(anonymous.listServiceAccounts({}))).code, Code.Unauthenticated);
  });
});
