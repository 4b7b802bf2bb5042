/**
 * Authentication keeps verified token signatures and authorization keeps each subject's grants
 * (per RBAC version) between calls; these tests run two control planes on one database and show
 * that a revocation or an RBAC change made through one replica holds on the other at its next call.
 */
import assert from "node:assert/strict";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { AuthService } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { create } from "@bufbuild/protobuf";
import { PolicyRuleSchema, RbacService, RoleScope, SubjectKind } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { loadServerConfig } from "../config.js";
import { startServer, type RunningServer } from "../server.js";

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  assert.fail("expected the call to fail");
}

describe("auth caches across replicas (two control planes, one database)", function () {
  this.timeout(60_000);
  let a: TestServer;
  let b: RunningServer;
  let adminA: { accounts: Client<typeof ServiceAccountService>; rbac: Client<typeof RbacService> };
  let account = 0;

  before(async () => {
    a = await startTestServer({ reconcile: false });
    const config = loadServerConfig({ host: "127.0.0.1", port: 0, dataDir: a.dataDir, logLevel: "silent" }, { RAWORC_DATABASE_URL: a.databaseUrl });
    b = await startServer(config, { shutdownGraceMs: 1000, reconcile: false });
    const token = await login(a.url, "admin", a.adminPassword);
    adminA = { accounts: clientOf(ServiceAccountService, a.url, token), rbac: clientOf(RbacService, a.url, token) };
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  /** A fresh active account in "default"; returns its name and a token from replica B. */
  async function newAccount(): Promise<{ name: string; tokenOnB: string }> {
    const name = `worker-${++account}`;
    await adminA.accounts.createServiceAccount({ serviceAccount: { metadata: { namespace: "default", name }, active: true }, password: "worker-password-1" });
    return { name, tokenOnB: await login(b.url, `default/${name}`, "worker-password-1") };
  }

  it("a logout through one replica refuses the token on the other at its next call", async () => {
    const { tokenOnB } = await newAccount();
    const onB = clientOf(AuthService, b.url, tokenOnB);
    // Twice: the second call is served from what the first one cached.
    await onB.whoAmI({});
    await onB.whoAmI({});
    await clientOf(AuthService, a.url, tokenOnB).logout({});
    assert.equal((await failure(onB.whoAmI({}))).code, Code.Unauthenticated);
  });

  it("deactivating an account through one replica refuses its tokens on the other at once; reactivated, it must log in again", async () => {
    const { name, tokenOnB } = await newAccount();
    const onB = clientOf(AuthService, b.url, tokenOnB);
    await onB.whoAmI({});
    await onB.whoAmI({});
    const current = (await adminA.accounts.getServiceAccount({ ref: { namespace: "default", name } })).serviceAccount!;
    const updated = (await adminA.accounts.updateServiceAccount({ serviceAccount: { ...current, active: false } })).serviceAccount!;
    assert.equal((await failure(onB.whoAmI({}))).code, Code.Unauthenticated);
    await adminA.accounts.updateServiceAccount({ serviceAccount: { ...updated, active: true } });
    assert.equal((await failure(onB.whoAmI({}))).code, Code.Unauthenticated, "deactivation voided the old token for good");
    const fresh = await login(b.url, `default/${name}`, "worker-password-1");
    assert.equal((await clientOf(AuthService, b.url, fresh).whoAmI({})).principal?.name, name);
  });

  it("a role whose rules are narrowed through one replica grants less on the other at its next call", async () => {
    const { name, tokenOnB } = await newAccount();
    const reader = clientOf(RbacService, b.url, tokenOnB);
    const role = `${name}-role-reader`;
    await adminA.rbac.createRole({ role: { metadata: { namespace: "default", name: role }, rules: [{ apiGroups: ["rbac"], resources: ["roles"], verbs: ["get", "list"] }] } });
    await adminA.rbac.createRoleBinding({
      roleBinding: { metadata: { namespace: "default", name: role }, roleRef: { scope: RoleScope.NAMESPACE, name: role }, subjects: [{ kind: SubjectKind.SERVICE_ACCOUNT, namespace: "default", name }] },
    });
    await reader.listRoles({ namespace: "default" });
    await reader.listRoles({ namespace: "default" });
    const stored = (await adminA.rbac.getRole({ ref: { namespace: "default", name: role } })).role!;
    await adminA.rbac.updateRole({ role: { ...stored, rules: [create(PolicyRuleSchema, { apiGroups: ["rbac"], resources: ["roles"], verbs: ["get"] })] } });
    assert.equal((await failure(reader.listRoles({ namespace: "default" }))).code, Code.PermissionDenied);
    await reader.getRole({ ref: { namespace: "default", name: role } });
  });

  it("a role binding deleted through one replica stops granting on the other at its next call, and a new one grants at once", async () => {
    const { name, tokenOnB } = await newAccount();
    const reader = clientOf(RbacService, b.url, tokenOnB);
    await adminA.rbac.createRole({ role: { metadata: { namespace: "default", name: `${name}-viewer` }, rules: [{ apiGroups: ["rbac"], resources: ["roles"], verbs: ["list"] }] } });
    const bind = () =>
      adminA.rbac.createRoleBinding({
        roleBinding: {
          metadata: { namespace: "default", name: `${name}-viewer` },
          roleRef: { scope: RoleScope.NAMESPACE, name: `${name}-viewer` },
          subjects: [{ kind: SubjectKind.SERVICE_ACCOUNT, namespace: "default", name }],
        },
      });
    assert.equal((await failure(reader.listRoles({ namespace: "default" }))).code, Code.PermissionDenied);
    await bind();
    await reader.listRoles({ namespace: "default" });
    await reader.listRoles({ namespace: "default" });
    await adminA.rbac.deleteRoleBinding({ ref: { namespace: "default", name: `${name}-viewer` } });
    assert.equal((await failure(reader.listRoles({ namespace: "default" }))).code, Code.PermissionDenied);
    await bind();
    await reader.listRoles({ namespace: "default" });
  });
});
