import assert from "node:assert/strict";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { NamespaceService } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import type { PolicyRuleSchema, SubjectSchema } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { RbacService, RoleScope, SubjectKind } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";

type RuleInit = MessageInitShape<typeof PolicyRuleSchema>;
type SubjectInit = MessageInitShape<typeof SubjectSchema>;

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
const sa = (namespace: string, name: string): SubjectInit => ({ kind: SubjectKind.SERVICE_ACCOUNT, namespace, name });
const group = (name: string): SubjectInit => ({ kind: SubjectKind.GROUP, name });

describe("RbacService (real server, real PostgreSQL)", function () {
  let t: TestServer;
  let admin: Client<typeof RbacService>;
  let accounts: Client<typeof ServiceAccountService>;
  before(async () => {
    t = await startTestServer();
    const token = await login(t.url, "admin", t.adminPassword);
    admin = clientOf(RbacService, t.url, token);
    accounts = clientOf(ServiceAccountService, t.url, token);
    const namespaces = clientOf(NamespaceService, t.url, token);
    for (const name of ["team-a", "team-b"]) await namespaces.createNamespace({ namespace: { metadata: { name } } });
  });
  after(async () => t?.stop());

  const createRole = (namespace: string, name: string, rules: RuleInit[], labels: Record<string, string> = {}) =>
    admin.createRole({ role: { metadata: { namespace, name, labels }, description: `${name} role`, rules } });
  const bind = (namespace: string, name: string, role: { scope: RoleScope; name: string }, subjects: SubjectInit[]) =>
    admin.createRoleBinding({ roleBinding: { metadata: { namespace, name }, roleRef: role, subjects } });
  const global = (name: string) => ({ scope: RoleScope.GLOBAL, name });
  const local = (name: string) => ({ scope: RoleScope.NAMESPACE, name });
  /** Whether `subject` may list service accounts in `namespace`, as admin asks it. */
  const mayListAccounts = async (subject: SubjectInit, namespace: string, groups: string[] = []) =>
    (await admin.checkAccess({ verb: "list", apiGroup: "core", resource: "serviceaccounts", namespace, subject, groups })).allowed;

  describe("roles", () => {
    it("creates, gets, updates and deletes a role, keeping its rules exactly", async () => {
      const rules = [rule(["core"], ["agents", "sessions/messages"], ["get", "create"]), rule(["core"], ["secrets"], ["get"], ["api-key"])];
      const created = (await createRole("team-a", "crud", rules)).role!;
      assert.equal(created.metadata?.namespace, "team-a");
      assert.equal(created.metadata?.resourceVersion, "1");
      const got = (await admin.getRole({ ref: { namespace: "team-a", name: "crud" } })).role!;
      assert.deepEqual(got.rules.map((r) => [r.apiGroups, r.resources, r.verbs, r.resourceNames]), [
        [["core"], ["agents", "sessions/messages"], ["get", "create"], []],
        [["core"], ["secrets"], ["get"], ["api-key"]],
      ]);
      const updated = (await admin.updateRole({ role: { metadata: got.metadata, description: "changed", rules: [rule(["*"], ["*"], ["get"])] } })).role!;
      assert.equal(updated.description, "changed");
      assert.equal(updated.metadata?.resourceVersion, "2");
      assert.deepEqual(updated.rules[0]?.verbs, ["get"]);
      const stale = await failure(admin.updateRole({ role: { ...got, description: "lost update" } }));
      assert.equal(stale.code, Code.Aborted);
      await admin.deleteRole({ ref: { namespace: "team-a", name: "crud" } });
      assert.equal((await failure(admin.getRole({ ref: { namespace: "team-a", name: "crud" } }))).code, Code.NotFound);
      assert.equal((await failure(admin.deleteRole({ ref: { namespace: "team-a", name: "crud" } }))).code, Code.NotFound);
    });

    it("refuses a duplicate in the same scope, not in another", async () => {
      await createRole("team-a", "twin", []);
      const dup = await failure(createRole("team-a", "twin", []));
      assert.equal(dup.code, Code.AlreadyExists);
      assert.match(dup.rawMessage, /Role "team-a\/twin" already exists/);
      await createRole("team-b", "twin", []);
      await createRole("", "twin", []);
    });

    it("lists global roles first, then by namespace and name, in pages, filtered by labels", async () => {
      await createRole("team-b", "list-z", [], { listed: "yes" });
      await createRole("team-a", "list-y", [], { listed: "yes" });
      await createRole("", "list-x", [], { listed: "yes" });
      const seen: string[] = [];
      let pageToken = "";
      do {
        const page = await admin.listRoles({ labelSelector: "listed=yes", pageSize: 2, pageToken });
        seen.push(...page.roles.map((r) => `${r.metadata!.namespace}/${r.metadata!.name}`));
        pageToken = page.nextPageToken;
      } while (pageToken);
      assert.deepEqual(seen, ["/list-x", "team-a/list-y", "team-b/list-z"]);
      const defaults = await admin.listRoles({ labelSelector: "raworc.dev/default=true" });
      assert.deepEqual(defaults.roles.map((r) => r.metadata!.name), ["admin", "developer", "operator", "viewer"]);
      assert.deepEqual((await admin.listRoles({ namespace: "team-b", labelSelector: "listed" })).roles.map((r) => r.metadata!.name), ["list-z"]);
    });

    it("refuses bad rules with INVALID_ARGUMENT naming the field", async () => {
      const cases: [RuleInit, RegExp][] = [
        [rule(["core"], ["agents"], []), /verbs/],
        [rule(["core"], [], ["get"]), /resources/],
        [rule([], ["agents"], ["get"]), /api_groups/],
        [rule(["core"], ["Agents"], ["get"]), /resources/],
        [rule(["core"], ["agents/"], ["get"]), /resources/],
        [rule(["core"], ["agents"], ["get list"]), /verbs/],
        [rule(["core"], ["agents"], ["get"], ["*"]), /resource_names/],
      ];
      for (const [bad, field] of cases) {
        const error = await failure(createRole("team-a", "bad-rule", [bad]));
        assert.equal(error.code, Code.InvalidArgument, JSON.stringify(bad));
        assert.match(error.rawMessage, field);
      }
    });
  });

  describe("role bindings", () => {
    it("creates, gets, updates subjects of and deletes a binding", async () => {
      const created = (await bind("team-a", "crud-binding", global("viewer"), [sa("team-a", "someone")])).roleBinding!;
      assert.deepEqual([created.roleRef?.scope, created.roleRef?.name], [RoleScope.GLOBAL, "viewer"]);
      assert.deepEqual(created.subjects.map((s) => [s.kind, s.namespace, s.name]), [[SubjectKind.SERVICE_ACCOUNT, "team-a", "someone"]]);
      const updated = (await admin.updateRoleBinding({
          roleBinding: { metadata: created.metadata, roleRef: created.roleRef, subjects: [group("readers"), { kind: SubjectKind.USER, name: "ann@example.com" }] },
        })).roleBinding!;
      assert.deepEqual(updated.subjects.map((s) => [s.kind, s.name]), [[SubjectKind.GROUP, "readers"], [SubjectKind.USER, "ann@example.com"]]);
      assert.equal(updated.metadata?.resourceVersion, "2");
      assert.equal((await failure(admin.updateRoleBinding({ roleBinding: created }))).code, Code.Aborted);
      const listed = await admin.listRoleBindings({ namespace: "team-a" });
      assert.ok(listed.roleBindings.some((b) => b.metadata?.name === "crud-binding"));
      await admin.deleteRoleBinding({ ref: { namespace: "team-a", name: "crud-binding" } });
      assert.equal((await failure(admin.getRoleBinding({ ref: { namespace: "team-a", name: "crud-binding" } }))).code, Code.NotFound);
    });

    it("refuses a role_ref change with INVALID_ARGUMENT", async () => {
      const created = (await bind("team-a", "fixed-ref", global("viewer"), [sa("team-a", "x")])).roleBinding!;
      const error = await failure(admin.updateRoleBinding({ roleBinding: { metadata: created.metadata, roleRef: global("admin"), subjects: created.subjects } }));
      assert.equal(error.code, Code.InvalidArgument);
      assert.match(error.rawMessage, /role_ref cannot change/);
      assert.equal((await admin.getRoleBinding({ ref: { namespace: "team-a", name: "fixed-ref" } })).roleBinding?.roleRef?.name, "viewer");
    });

    it("refuses a binding to a missing role with FAILED_PRECONDITION naming it", async () => {
      const missingGlobal = await failure(bind("team-a", "ghostly", global("ghost"), [sa("team-a", "x")]));
      assert.equal(missingGlobal.code, Code.FailedPrecondition);
      assert.match(missingGlobal.rawMessage, /global role "ghost" does not exist/);
      await createRole("team-b", "only-in-b", []);
      const wrongNamespace = await failure(bind("team-a", "ghostly", local("only-in-b"), [sa("team-a", "x")]));
      assert.equal(wrongNamespace.code, Code.FailedPrecondition);
      assert.match(wrongNamespace.rawMessage, /role "team-a\/only-in-b" does not exist/);
    });

    it("refuses bad subjects and scopes with INVALID_ARGUMENT and the reason", async () => {
      const cases: [() => Promise<unknown>, RegExp][] = [
        [() => bind("team-a", "no-kind", global("viewer"), [{ name: "someone" }]), /kind/],
        [() => bind("team-a", "no-subjects", global("viewer"), []), /subjects/],
        [() => bind("team-a", "user-ns", global("viewer"), [{ kind: SubjectKind.USER, name: "u", namespace: "team-a" }]), /namespace applies only to SERVICE_ACCOUNT/],
        [() => bind("team-a", "bad-sa", global("viewer"), [sa("team-a", "Not_A_Name")]), /DNS-1123/],
        [() => bind("", "global-local", local("viewer"), [sa("team-a", "x")]), /a global binding can only reference a global role/],
        [() => bind("team-a", "no-scope", { scope: RoleScope.UNSPECIFIED, name: "viewer" }, [sa("team-a", "x")]), /scope/],
        [() => admin.createRoleBinding({ roleBinding: { metadata: { namespace: "team-a", name: "no-ref" }, subjects: [sa("team-a", "x")] } }), /role_ref/],
      ];
      for (const [attempt, reason] of cases) {
        const error = await failure(attempt());
        assert.equal(error.code, Code.InvalidArgument, String(reason));
        assert.match(error.rawMessage, reason);
      }
    });

    it("grants a namespaced binding's role in its namespace only, and a global binding's everywhere", async () => {
      await createRole("", "account-reader", [rule(["core"], ["serviceaccounts"], ["get", "list"])]);
      await bind("team-a", "reader-a", global("account-reader"), [sa("team-a", "local-reader")]);
      assert.equal(await mayListAccounts(sa("team-a", "local-reader"), "team-a"), true);
      assert.equal(await mayListAccounts(sa("team-a", "local-reader"), "team-b"), false);
      assert.equal(await mayListAccounts(sa("team-a", "local-reader"), ""), false);

      await bind("", "reader-everywhere", global("account-reader"), [sa("", "global-reader")]);
      for (const ns of ["team-a", "team-b", ""]) assert.equal(await mayListAccounts(sa("", "global-reader"), ns), true, ns);
    });

    it("matches a ServiceAccount subject only with its namespace", async () => {
      await createRole("team-a", "lister", [rule(["core"], ["serviceaccounts"], ["list"])]);
      await bind("team-a", "lister-binding", local("lister"), [sa("team-a", "same-name")]);
      assert.equal(await mayListAccounts(sa("team-a", "same-name"), "team-a"), true);
      assert.equal(await mayListAccounts(sa("team-b", "same-name"), "team-a"), false);
      assert.equal(await mayListAccounts(sa("", "same-name"), "team-a"), false);
      assert.equal(await mayListAccounts({ kind: SubjectKind.USER, name: "same-name" }, "team-a"), false);
    });

    it("grants to every service account of a namespace through the group system:serviceaccounts:<ns>", async () => {
      await createRole("team-a", "group-lister", [rule(["core"], ["serviceaccounts"], ["list"])]);
      await bind("team-a", "all-of-team-a", local("group-lister"), [group("system:serviceaccounts:team-a")]);
      for (const [ns, name] of [["team-a", "carol"], ["team-b", "carol"]] as const) {
        await accounts.createServiceAccount({ serviceAccount: { metadata: { namespace: ns, name }, active: true }, password: "carol-password-1" });
      }
      const carolA = clientOf(ServiceAccountService, t.url, await login(t.url, "team-a/carol", "carol-password-1"));
      const names = (await carolA.listServiceAccounts({ namespace: "team-a" })).serviceAccounts.map((s) => s.metadata!.name);
      assert.ok(names.includes("carol"));
      const carolB = clientOf(ServiceAccountService, t.url, await login(t.url, "team-b/carol", "carol-password-1"));
      assert.equal((await failure(carolB.listServiceAccounts({ namespace: "team-a" }))).code, Code.PermissionDenied);
      assert.equal(await mayListAccounts({ kind: SubjectKind.USER, name: "u" }, "team-a", ["system:serviceaccounts:team-a"]), true);
    });

    it("stops granting when the role is deleted", async () => {
      await createRole("", "short-lived", [rule(["core"], ["serviceaccounts"], ["list"])]);
      await bind("team-b", "short-lived-binding", global("short-lived"), [sa("team-b", "temp")]);
      assert.equal(await mayListAccounts(sa("team-b", "temp"), "team-b"), true);
      await admin.deleteRole({ ref: { name: "short-lived" } });
      assert.equal(await mayListAccounts(sa("team-b", "temp"), "team-b"), false);
      assert.ok((await admin.getRoleBinding({ ref: { namespace: "team-b", name: "short-lived-binding" } })).roleBinding);
    });
  });

  describe("CheckAccess", () => {
    it("answers for the caller itself without any permission, with the reason", async () => {
      await accounts.createServiceAccount({ serviceAccount: { metadata: { namespace: "team-b", name: "asker" }, active: true }, password: "asker-password-1" });
      await bind("team-b", "asker-views", global("viewer"), [sa("team-b", "asker")]);
      const asker = clientOf(RbacService, t.url, await login(t.url, "team-b/asker", "asker-password-1"));
      const yes = await asker.checkAccess({ verb: "list", apiGroup: "core", resource: "agents", namespace: "team-b" });
      assert.deepEqual([yes.allowed, yes.reason], [true, 'allowed by RoleBinding "team-b/asker-views" of global role "viewer"']);
      const no = await asker.checkAccess({ verb: "delete", apiGroup: "core", resource: "agents", namespace: "team-b", name: "x" });
      assert.equal(no.allowed, false);
      assert.equal(no.reason, 'no role bound to serviceaccount "team-b/asker" grants delete on core/agents named "x" in namespace "team-b"');
      const elsewhere = await asker.checkAccess({ verb: "list", apiGroup: "core", resource: "agents", namespace: "team-a" });
      assert.equal(elsewhere.allowed, false);
      const subresource = await asker.checkAccess({ verb: "list", apiGroup: "core", resource: "sessions", subresource: "events", namespace: "team-b" });
      assert.equal(subresource.allowed, true);
      const self = await asker.checkAccess({ verb: "list", apiGroup: "core", resource: "agents", namespace: "team-b", subject: sa("team-b", "asker") });
      assert.equal(self.allowed, true);

      const denied = await failure(asker.checkAccess({ verb: "get", apiGroup: "core", resource: "agents", namespace: "team-b", subject: sa("", "admin") }));
      assert.equal(denied.code, Code.PermissionDenied);
      assert.match(denied.rawMessage, /cannot create accessreviews/);
    });

    it("answers for another subject when the caller may create accessreviews", async () => {
      const about = await admin.checkAccess({ verb: "delete", apiGroup: "core", resource: "namespaces", name: "team-a", subject: sa("", "admin") });
      assert.deepEqual([about.allowed, about.reason], [true, 'allowed by global RoleBinding "bootstrap-admin" of global role "admin"']);

      await createRole("team-a", "reviewer", [rule(["rbac"], ["accessreviews"], ["create"])]);
      await bind("team-a", "reviewer-binding", local("reviewer"), [sa("team-a", "reviewer")]);
      await accounts.createServiceAccount({ serviceAccount: { metadata: { namespace: "team-a", name: "reviewer" }, active: true }, password: "reviewer-password-1" });
      const reviewer = clientOf(RbacService, t.url, await login(t.url, "team-a/reviewer", "reviewer-password-1"));
      const inA = await reviewer.checkAccess({ verb: "get", apiGroup: "core", resource: "agents", namespace: "team-a", subject: sa("", "admin") });
      assert.equal(inA.allowed, true);
      const inB = await failure(reviewer.checkAccess({ verb: "get", apiGroup: "core", resource: "agents", namespace: "team-b", subject: sa("", "admin") }));
      assert.equal(inB.code, Code.PermissionDenied);
    });
  });
});
