/**
 * The end-to-end scenario, with the resources that exist today (roles, bindings and
 * service accounts; agents and sessions come later): alice is a developer in team-a who may
 * also manage RBAC and service accounts there.
 */
import assert from "node:assert/strict";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { NamespaceService } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import type { PolicyRuleSchema } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { RbacService, RoleScope, SubjectKind } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";

type RuleInit = MessageInitShape<typeof PolicyRuleSchema>;

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  assert.fail("expected the call to fail");
}

const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames: string[] = []): RuleInit => ({
  apiGroups,
  resources,
  verbs,
  resourceNames,
});
const alice = { kind: SubjectKind.SERVICE_ACCOUNT, namespace: "team-a", name: "alice" };

describe("RBAC end to end: alice, developer in team-a", function () {
  let t: TestServer;
  let admin: Client<typeof RbacService>;
  let rbac: Client<typeof RbacService>;
  let accounts: Client<typeof ServiceAccountService>;

  before(async () => {
    t = await startTestServer();
    const token = await login(t.url, "admin", t.adminPassword);
    admin = clientOf(RbacService, t.url, token);
    const adminAccounts = clientOf(ServiceAccountService, t.url, token);
    const namespaces = clientOf(NamespaceService, t.url, token);
    for (const name of ["team-a", "team-b"]) await namespaces.createNamespace({ namespace: { metadata: { name } } });
    await adminAccounts.createServiceAccount({ serviceAccount: { metadata: { namespace: "team-a", name: "alice" }, active: true }, password: "alice-password-1" });
    await adminAccounts.createServiceAccount({ serviceAccount: { metadata: { namespace: "team-b", name: "bob" }, active: true }, password: "bob-password-1" });
    await admin.createRole({ role: { metadata: { namespace: "team-b", name: "team-b-private" }, rules: [rule(["core"], ["agents"], ["get"])] } });
    // Developer (agents, sessions, secrets), plus managing RBAC and service accounts in team-a.
    await admin.createRole({
      role: {
        metadata: { namespace: "team-a", name: "team-manager" },
        rules: [rule(["rbac"], ["roles", "rolebindings"], ["get", "list", "create", "update", "delete"]), rule(["core"], ["serviceaccounts"], ["get", "list", "create"])],
      },
    });
    for (const [name, roleRef] of [
      ["alice-developer", { scope: RoleScope.GLOBAL, name: "developer" }],
      ["alice-manager", { scope: RoleScope.NAMESPACE, name: "team-manager" }],
    ] as const) {
      await admin.createRoleBinding({ roleBinding: { metadata: { namespace: "team-a", name }, roleRef, subjects: [alice] } });
    }
    const aliceToken = await login(t.url, "team-a/alice", "alice-password-1");
    rbac = clientOf(RbacService, t.url, aliceToken);
    accounts = clientOf(ServiceAccountService, t.url, aliceToken);
  });
  after(async () => t?.stop());

  const grant = async (name: string, rules: RuleInit[]) => {
    await admin.createRole({ role: { metadata: { namespace: "team-a", name }, rules } });
    await admin.createRoleBinding({
      roleBinding: { metadata: { namespace: "team-a", name }, roleRef: { scope: RoleScope.NAMESPACE, name }, subjects: [alice] },
    });
  };

  it("creates and lists service accounts, roles and bindings in team-a", async () => {
    await accounts.createServiceAccount({ serviceAccount: { metadata: { namespace: "team-a", name: "ci" }, active: true }, password: "ci-password-123" });
    assert.deepEqual((await accounts.listServiceAccounts({ namespace: "team-a" })).serviceAccounts.map((s) => s.metadata!.name), ["alice", "ci"]);
    // Rules she holds through developer: allowed without escalate.
    await rbac.createRole({ role: { metadata: { namespace: "team-a", name: "agent-reader" }, rules: [rule(["core"], ["agents"], ["get", "list"])] } });
    // A role she holds (developer), to another account: allowed without bind.
    await rbac.createRoleBinding({
      roleBinding: {
        metadata: { namespace: "team-a", name: "ci-developer" },
        roleRef: { scope: RoleScope.GLOBAL, name: "developer" },
        subjects: [{ kind: SubjectKind.SERVICE_ACCOUNT, namespace: "team-a", name: "ci" }],
      },
    });
    assert.ok((await rbac.listRoles({ namespace: "team-a" })).roles.some((r) => r.metadata?.name === "agent-reader"));
    assert.ok((await rbac.listRoleBindings({ namespace: "team-a" })).roleBindings.some((b) => b.metadata?.name === "ci-developer"));
  });

  it("cannot see team-b's objects: lists are filtered and gets are denied", async () => {
    const roles = await rbac.listRoles({});
    assert.ok(roles.roles.length > 0);
    assert.deepEqual([...new Set(roles.roles.map((r) => r.metadata!.namespace))], ["team-a"], "no team-b or global roles");
    const everyAccount = await accounts.listServiceAccounts({});
    assert.deepEqual([...new Set(everyAccount.serviceAccounts.map((s) => s.metadata!.namespace))], ["team-a"]);
    const get = await failure(rbac.getRole({ ref: { namespace: "team-b", name: "team-b-private" } }));
    assert.equal(get.code, Code.PermissionDenied);
    assert.match(get.rawMessage, /cannot get roles "team-b-private" in API group "rbac" in namespace "team-b"/);
    assert.equal((await failure(rbac.listRoles({ namespace: "team-b" }))).code, Code.PermissionDenied);
    assert.equal((await failure(accounts.getServiceAccount({ ref: { namespace: "team-b", name: "bob" } }))).code, Code.PermissionDenied);
    assert.equal((await failure(rbac.createRole({ role: { metadata: { namespace: "team-b", name: "mine" }, rules: [] } }))).code, Code.PermissionDenied);
  });

  it("cannot grant herself admin, nor write a role with more than she holds", async () => {
    const selfAdmin = await failure(
      rbac.createRoleBinding({ roleBinding: { metadata: { namespace: "team-a", name: "alice-admin" }, roleRef: { scope: RoleScope.GLOBAL, name: "admin" }, subjects: [alice] } }),
    );
    assert.equal(selfAdmin.code, Code.PermissionDenied);
    assert.match(selfAdmin.rawMessage, /cannot bind global role "admin" in namespace "team-a": it grants \* on \*\/\*/);

    const tooMuch = await failure(
      rbac.createRole({ role: { metadata: { namespace: "team-a", name: "deleter" }, rules: [rule(["core"], ["agents", "namespaces"], ["get", "delete"])] } }),
    );
    assert.equal(tooMuch.code, Code.PermissionDenied);
    assert.match(tooMuch.rawMessage, /it would grant delete on core\/namespaces, which the caller does not hold in namespace "team-a"/);
    // A list never covers "*": holding get on named resources does not let her write get on everything.
    const wildcard = await failure(rbac.createRole({ role: { metadata: { namespace: "team-a", name: "wild" }, rules: [rule(["core"], ["*"], ["get"])] } }));
    assert.match(wildcard.rawMessage, /get on core\/\*/);

    // Nor by growing a role she may update, nor by adding herself to someone else's binding.
    const own = (await rbac.getRole({ ref: { namespace: "team-a", name: "team-manager" } })).role!;
    const grown = await failure(rbac.updateRole({ role: { metadata: own.metadata, rules: [...own.rules, rule(["core"], ["serviceaccounts"], ["delete"])] } }));
    assert.equal(grown.code, Code.PermissionDenied);
    assert.match(grown.rawMessage, /delete on core\/serviceaccounts/);
    const admins = (
      await admin.createRoleBinding({
        roleBinding: { metadata: { namespace: "team-a", name: "team-a-admins" }, roleRef: { scope: RoleScope.GLOBAL, name: "admin" }, subjects: [{ kind: SubjectKind.USER, name: "root@example.com" }] },
      })
    ).roleBinding!;
    const joined = await failure(rbac.updateRoleBinding({ roleBinding: { metadata: admins.metadata, roleRef: admins.roleRef, subjects: [...admins.subjects, alice] } }));
    assert.equal(joined.code, Code.PermissionDenied);
    assert.equal((await rbac.checkAccess({ verb: "delete", apiGroup: "core", resource: "agents", namespace: "team-a", name: "x" })).allowed, true);
    assert.equal((await rbac.checkAccess({ verb: "delete", apiGroup: "core", resource: "serviceaccounts", namespace: "team-a" })).allowed, false);
  });

  it("with escalate on roles she may write a role with more than she holds", async () => {
    await grant("escalator", [rule(["rbac"], ["roles"], ["escalate"])]);
    const role = (await rbac.createRole({ role: { metadata: { namespace: "team-a", name: "deleter" }, rules: [rule(["core"], ["agents", "namespaces"], ["get", "delete"])] } })).role!;
    assert.equal(role.rules.length, 1);
    // Escalate in team-a is nothing globally (there she may not even create roles).
    const globalRole = await failure(rbac.createRole({ role: { metadata: { name: "global-deleter" }, rules: [rule(["core"], ["namespaces"], ["delete"])] } }));
    assert.equal(globalRole.code, Code.PermissionDenied);
  });

  it("with bind on the admin role she may bind it in team-a, and is admin there only", async () => {
    await grant("admin-binder", [rule(["rbac"], ["roles"], ["bind"], ["admin"])]);
    const viewer = await failure(
      rbac.createRoleBinding({
        roleBinding: { metadata: { namespace: "team-a", name: "wide" }, roleRef: { scope: RoleScope.GLOBAL, name: "viewer" }, subjects: [alice] },
      }),
    );
    assert.equal(viewer.code, Code.PermissionDenied, "bind names admin only, and she lacks viewer's list on namespaces");
    assert.match(viewer.rawMessage, /list on core\/namespaces/);
    await rbac.createRoleBinding({
      roleBinding: { metadata: { namespace: "team-a", name: "alice-admin" }, roleRef: { scope: RoleScope.GLOBAL, name: "admin" }, subjects: [alice] },
    });
    const inA = await rbac.checkAccess({ verb: "delete", apiGroup: "core", resource: "serviceaccounts", namespace: "team-a" });
    assert.deepEqual([inA.allowed, inA.reason], [true, 'allowed by RoleBinding "team-a/alice-admin" of global role "admin"']);
    await accounts.deleteServiceAccount({ ref: { namespace: "team-a", name: "ci" } });
    assert.equal((await rbac.checkAccess({ verb: "get", apiGroup: "rbac", resource: "roles", namespace: "team-b" })).allowed, false);
    assert.equal((await failure(accounts.getServiceAccount({ ref: { namespace: "team-b", name: "bob" } }))).code, Code.PermissionDenied);
    // Being admin in team-a gives her nothing globally: no global binding.
    const globalAdmin = await failure(
      rbac.createRoleBinding({ roleBinding: { metadata: { name: "alice-everywhere" }, roleRef: { scope: RoleScope.GLOBAL, name: "admin" }, subjects: [alice] } }),
    );
    assert.equal(globalAdmin.code, Code.PermissionDenied);
  });
});
