import assert from "node:assert/strict";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { AuthService } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { NamespaceService } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import { ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { rotateSigningKey } from "../auth/keyring.js";

async function codeOf(promise: Promise<unknown>): Promise<Code> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error).code;
  }
  assert.fail("expected the call to fail");
}

describe("AuthService (real server, real PostgreSQL)", function () {
  let t: TestServer;
  before(async () => (t = await startTestServer()));
  after(async () => t?.stop());

  async function createAccount(name: string, password: string, namespace = ""): Promise<void> {
    const admin = clientOf(ServiceAccountService, t.url, await login(t.url, "admin", t.adminPassword));
    await admin.createServiceAccount({
      serviceAccount: { metadata: { name, namespace }, active: true, description: "test" },
      password,
    });
  }

  it("logs in, says who the caller is, and records the login", async () => {
    const res = await clientOf(AuthService, t.url).login({ username: "admin", password: t.adminPassword });
    assert.match(res.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.ok(res.expiresAt && Number(res.expiresAt.seconds) * 1000 > Date.now());
    assert.equal(res.principal?.name, "admin");
    const me = await clientOf(AuthService, t.url, res.token).whoAmI({});
    assert.equal(me.principal?.name, "admin");
    assert.equal(me.principal?.kind, "ServiceAccount");
    assert.ok(me.tokenId.length > 0);
    const admin = clientOf(ServiceAccountService, t.url, res.token);
    const sa = await admin.getServiceAccount({ ref: { name: "admin" } });
    assert.ok(sa.serviceAccount?.lastLoginAt, "last login is recorded");
  });

  it("logs in namespaced accounts as namespace/name", async () => {
    const namespaces = clientOf(NamespaceService, t.url, await login(t.url, "admin", t.adminPassword));
    await namespaces.createNamespace({ namespace: { metadata: { name: "team-a" } } });
    await createAccount("bob", "bob-password-123", "team-a");
    const token = await login(t.url, "team-a/bob", "bob-password-123");
    const me = await clientOf(AuthService, t.url, token).whoAmI({});
    assert.deepEqual([me.principal?.namespace, me.principal?.name], ["team-a", "bob"]);
    assert.equal(await codeOf(login(t.url, "bob", "bob-password-123")), Code.Unauthenticated);
  });

  it("answers a wrong password and an unknown user identically, doing the same work", async () => {
    const auth = clientOf(AuthService, t.url);
    const timed = async (username: string) => {
      const started = performance.now();
      const error = await auth.login({ username, password: "definitely-wrong" }).catch((e: unknown) => ConnectError.from(e));
      return { error: error as ConnectError, ms: performance.now() - started };
    };
    // Interleaved pairs and medians, so load on a shared machine hits both sides alike.
    const wrong: { error: ConnectError; ms: number }[] = [];
    const unknown: { error: ConnectError; ms: number }[] = [];
    for (let i = 0; i < 5; i++) {
      wrong.push(await timed("admin"));
      unknown.push(await timed(`nobody-here-${i}`));
    }
    for (const r of [...wrong, ...unknown]) assert.equal(r.error.code, Code.Unauthenticated);
    assert.equal(new Set([...wrong, ...unknown].map((r) => r.error.rawMessage)).size, 1, "one message for both");
    const median = (rs: { ms: number }[]) => rs.map((r) => r.ms).sort((a, b) => a - b)[2]!;
    // Not a speed assertion: without the decoy hash an unknown user answers much faster than
    // a password check (about 4x here), so half the time proves the argon2 work happened.
    assert.ok(median(unknown) > median(wrong) * 0.5, `unknown user took ${median(unknown).toFixed(1)} ms vs ${median(wrong).toFixed(1)} ms`);
  });

  it("logout revokes the token and every earlier one, but not later logins", async () => {
    await createAccount("carol", "carol-password-1");
    const first = await login(t.url, "carol", "carol-password-1");
    const second = await login(t.url, "carol", "carol-password-1");
    await clientOf(AuthService, t.url, second).logout({});
    assert.equal(await codeOf(clientOf(AuthService, t.url, second).whoAmI({})), Code.Unauthenticated);
    assert.equal(await codeOf(clientOf(AuthService, t.url, first).whoAmI({})), Code.Unauthenticated);
    const third = await login(t.url, "carol", "carol-password-1");
    assert.equal((await clientOf(AuthService, t.url, third).whoAmI({})).principal?.name, "carol");
  });

  it("changes the password: old tokens and the old password stop working, the new ones work", async () => {
    await createAccount("dave", "dave-password-1");
    const old = await login(t.url, "dave", "dave-password-1");
    const auth = clientOf(AuthService, t.url, old);
    assert.equal(await codeOf(auth.changePassword({ currentPassword: "wrong-password", newPassword: "dave-password-2" })), Code.PermissionDenied);
    const changed = await auth.changePassword({ currentPassword: "dave-password-1", newPassword: "dave-password-2" });
    assert.equal(await codeOf(auth.whoAmI({})), Code.Unauthenticated);
    assert.equal((await clientOf(AuthService, t.url, changed.token).whoAmI({})).principal?.name, "dave");
    assert.equal(await codeOf(login(t.url, "dave", "dave-password-1")), Code.Unauthenticated);
    await login(t.url, "dave", "dave-password-2");
  });

  it("refuses short new passwords with field violations", async () => {
    const token = await login(t.url, "admin", t.adminPassword);
    const error = await clientOf(AuthService, t.url, token)
      .changePassword({ currentPassword: t.adminPassword, newPassword: "short" })
      .catch((e: unknown) => ConnectError.from(e));
    assert.ok(error instanceof ConnectError);
    assert.equal(error.code, Code.InvalidArgument);
    assert.match(error.rawMessage, /new_password/);
  });

  it("stops a deactivated account's tokens at once", async () => {
    await createAccount("erin", "erin-password-1");
    const token = await login(t.url, "erin", "erin-password-1");
    const admin = clientOf(ServiceAccountService, t.url, await login(t.url, "admin", t.adminPassword));
    const { serviceAccount } = await admin.getServiceAccount({ ref: { name: "erin" } });
    await admin.updateServiceAccount({ serviceAccount: { ...serviceAccount!, active: false } });
    assert.equal(await codeOf(clientOf(AuthService, t.url, token).whoAmI({})), Code.Unauthenticated);
    assert.equal(await codeOf(login(t.url, "erin", "erin-password-1")), Code.Unauthenticated);
  });

  it("throttles repeated failures per account", async () => {
    await createAccount("frank", "frank-password-1");
    const auth = clientOf(AuthService, t.url);
    const codes: Code[] = [];
    for (let i = 0; i < 11; i++) codes.push(await codeOf(auth.login({ username: "frank", password: `wrong-${i}` })));
    assert.deepEqual(codes.slice(0, 10), Array(10).fill(Code.Unauthenticated));
    assert.equal(codes[10], Code.ResourceExhausted);
    // Even the right password waits until the window passes: guessing cannot test it.
    assert.equal(await codeOf(auth.login({ username: "frank", password: "frank-password-1" })), Code.ResourceExhausted);
  });

  it("keeps accepting tokens signed before a key rotation", async () => {
    const before = await login(t.url, "admin", t.adminPassword);
    await rotateSigningKey(join(t.dataDir, "keys", "jwks.json"));
    await t.restart();
    assert.equal((await clientOf(AuthService, t.url, before).whoAmI({})).principal?.name, "admin");
    const after = await login(t.url, "admin", t.adminPassword);
    assert.notEqual(after.split(".")[0], before.split(".")[0], "new tokens name the new key");
  });
});
