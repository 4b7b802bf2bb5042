import assert from "node:assert/strict";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { AuditService, type AuditEvent, type ListAuditEventsRequestSchema } from "@raworc/proto/gen/raworc/v1/audit_pb.js";
import { AuthService } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { NamespaceService } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import { ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import pg from "pg";

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  assert.fail("expected the call to fail");
}

const accounts = ServiceAccountService.typeName;

describe("AuditService and the audit log (real server, real PostgreSQL)", function () {
  let t: TestServer;
  let sql: pg.Client;
  let admin: Client<typeof ServiceAccountService>;
  let audit: Client<typeof AuditService>;
  // An account with no role bindings: it may authenticate and nothing else.
  let bob: { accounts: Client<typeof ServiceAccountService>; audit: Client<typeof AuditService> };

  before(async () => {
    t = await startTestServer();
    sql = new pg.Client({ connectionString: t.databaseUrl });
    await sql.connect();
    const token = await login(t.url, "admin", t.adminPassword);
    admin = clientOf(ServiceAccountService, t.url, token);
    audit = clientOf(AuditService, t.url, token);
    const namespaces = clientOf(NamespaceService, t.url, token);
    for (const name of ["team-a", "filter-ns", "paging", "scoped"]) await namespaces.createNamespace({ namespace: { metadata: { name } } });
    await admin.createServiceAccount({ serviceAccount: { metadata: { name: "bob" }, active: true }, password: "bob-password-123" });
    const bobToken = await login(t.url, "bob", "bob-password-123");
    bob = { accounts: clientOf(ServiceAccountService, t.url, bobToken), audit: clientOf(AuditService, t.url, bobToken) };
  });
  after(async () => {
    await sql?.end();
    await t?.stop();
  });

  /** Every event matching the filters, newest first, following page tokens. */
  async function allEvents(filters: MessageInitShape<typeof ListAuditEventsRequestSchema> = {}): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    let pageToken = "";
    do {
      const page = await audit.listAuditEvents({ ...filters, pageToken });
      events.push(...page.events);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return events;
  }

  const withRequestId = (id: string) => ({ headers: { "x-request-id": id } });

  it("records a create and a delete with principal, action, object, result OK and the client's request id", async () => {
    const started = new Date();
    await admin.createServiceAccount(
      { serviceAccount: { metadata: { name: "audited", namespace: "team-a" }, active: true }, password: "audited-password-1" },
      withRequestId("req-create-1"),
    );
    await admin.deleteServiceAccount({ ref: { namespace: "team-a", name: "audited" } }, withRequestId("req-delete-1"));

    const [deleted, created] = await allEvents({ namespace: "team-a", action: `${accounts}/` });
    assert.ok(created && deleted, "both calls are in the log");
    for (const [event, method, verb, requestId] of [
      [created, "CreateServiceAccount", "create", "req-create-1"],
      [deleted, "DeleteServiceAccount", "delete", "req-delete-1"],
    ] as const) {
      assert.equal(event.action, `${accounts}/${method}`);
      assert.deepEqual(
        { kind: event.principal?.kind, namespace: event.principal?.namespace, name: event.principal?.name },
        { kind: "ServiceAccount", namespace: "", name: "admin" },
      );
      assert.deepEqual(
        { group: event.apiGroup, resource: event.resource, verb: event.verb, namespace: event.namespace, name: event.name },
        { group: "core", resource: "serviceaccounts", verb, namespace: "team-a", name: "audited" },
      );
      assert.equal(event.result, "OK");
      assert.equal(event.reason, "");
      assert.equal(event.requestId, requestId);
      assert.match(event.clientAddress, /127\.0\.0\.1/);
      assert.match(event.id, /^[1-9][0-9]*$/);
      const time = timestampDate(event.time!).getTime();
      assert.ok(time >= started.getTime() - 1000 && time <= Date.now() + 1000, "time is when the call happened");
    }
    assert.ok(BigInt(deleted.id) > BigInt(created.id), "newest first");
  });

  it("records a mutating call that fails with the code and message the client received", async () => {
    const error = await failure(admin.deleteServiceAccount({ ref: { name: "nobody-here" } }, withRequestId("req-missing")));
    const [event] = await allEvents({ action: `${accounts}/DeleteServiceAccount`, result: "NOT_FOUND" });
    assert.equal(event?.requestId, "req-missing");
    assert.equal(event?.name, "nobody-here");
    assert.equal(event?.reason, error.rawMessage);
  });

  it("records a denial of an unprivileged account with PERMISSION_DENIED and the permission it lacked", async () => {
    const error = await failure(bob.accounts.deleteServiceAccount({ ref: { name: "admin" } }, withRequestId("req-bob-denied")));
    assert.equal(error.code, Code.PermissionDenied);
    // A refused read is a denial too, so it is audited even though reads are not.
    await failure(bob.accounts.getServiceAccount({ ref: { name: "admin" } }, withRequestId("req-bob-read")));

    const events = await allEvents({ principal: "bob", result: "PERMISSION_DENIED" });
    const deletion = events.find((e) => e.requestId === "req-bob-denied");
    assert.ok(deletion, "the refused delete is in the log");
    assert.equal(deletion.principal?.name, "bob");
    assert.equal(deletion.action, `${accounts}/DeleteServiceAccount`);
    assert.equal(deletion.verb, "delete");
    assert.equal(deletion.name, "admin");
    assert.equal(deletion.reason, error.rawMessage);
    assert.match(deletion.reason, /cannot delete serviceaccounts "admin"/);
    assert.ok(events.some((e) => e.requestId === "req-bob-read" && e.verb === "get"), "the refused read is in the log");
  });

  it("records a call without valid credentials as UNAUTHENTICATED, with no principal and what it tried", async () => {
    const anonymous = clientOf(ServiceAccountService, t.url);
    await failure(anonymous.deleteServiceAccount({ ref: { namespace: "team-z", name: "target" } }, withRequestId("req-anon")));
    const forged = clientOf(ServiceAccountService, t.url, "not.a.jwt");
    await failure(forged.createServiceAccount({ serviceAccount: { metadata: { name: "x" } }, password: "long-enough-pass" }, withRequestId("req-forged")));

    const events = await allEvents({ principal: "system:anonymous", result: "UNAUTHENTICATED" });
    const anon = events.find((e) => e.requestId === "req-anon");
    assert.ok(anon, "the anonymous call is in the log");
    assert.equal(anon.principal, undefined);
    assert.deepEqual([anon.verb, anon.resource, anon.namespace, anon.name], ["delete", "serviceaccounts", "team-z", "target"]);
    assert.ok(events.some((e) => e.requestId === "req-forged" && e.verb === "create"));
  });

  it("records every login attempt with the username tried, and never the password", async () => {
    const password = "Wr0ng-but-SECRET-p4ssword";
    const auth = clientOf(AuthService, t.url);
    const error = await failure(auth.login({ username: "mallory", password }, withRequestId("req-login-bad")));
    assert.equal(error.code, Code.Unauthenticated);
    await auth.login({ username: "bob", password: "bob-password-123" }, withRequestId("req-login-ok"));

    const [failed] = await allEvents({ principal: "mallory" });
    assert.equal(failed?.action, "raworc.v1.AuthService/Login");
    assert.equal(failed?.result, "UNAUTHENTICATED");
    assert.equal(failed?.requestId, "req-login-bad");
    assert.equal(failed?.principal, undefined, "an unproven name is not shown as the principal");
    assert.match(failed?.reason ?? "", /invalid username or password.*"mallory"/);
    const succeeded = (await allEvents({ action: "raworc.v1.AuthService/Login", result: "OK" })).find((e) => e.requestId === "req-login-ok");
    assert.equal(succeeded?.principal?.name, "bob");

    const rows = await sql.query<Record<string, unknown>>(`select * from audit_events where request_id = 'req-login-bad'`);
    assert.equal(rows.rows.length, 1);
    assert.equal(rows.rows[0]!.principal, "mallory");
    assert.ok(!JSON.stringify(rows.rows).includes(password), "the password is nowhere in the row");
    const anywhere = await sql.query(`select 1 from audit_events a where position($1 in a::text) > 0`, [password]);
    assert.equal(anywhere.rowCount, 0, "the password is nowhere in the table");
  });

  it("filters by principal, namespace, action (exact or by service), result and time", async () => {
    const before = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await admin.createServiceAccount({ serviceAccount: { metadata: { name: "f1", namespace: "filter-ns" } }, password: "filter-password-1" });
    await failure(bob.accounts.deleteServiceAccount({ ref: { namespace: "filter-ns", name: "f1" } }));
    await admin.setServiceAccountPassword({ ref: { namespace: "filter-ns", name: "f1" }, password: "filter-password-2" });
    const after = new Date(Date.now() + 1);

    const inNs = await allEvents({ namespace: "filter-ns" });
    assert.deepEqual(
      inNs.map((e) => `${e.principal?.name}:${e.action.split("/")[1]}:${e.result}`),
      ["admin:SetServiceAccountPassword:OK", "bob:DeleteServiceAccount:PERMISSION_DENIED", "admin:CreateServiceAccount:OK"],
    );
    assert.equal(inNs[0]!.resource, "serviceaccounts/password", "the subresource is part of the resource");
    assert.deepEqual((await allEvents({ namespace: "filter-ns", principal: "bob" })).map((e) => e.result), ["PERMISSION_DENIED"]);
    assert.deepEqual((await allEvents({ namespace: "filter-ns", result: "OK" })).length, 2);
    assert.deepEqual(
      (await allEvents({ namespace: "filter-ns", action: `${accounts}/CreateServiceAccount` })).map((e) => e.principal?.name),
      ["admin"],
    );
    assert.equal((await allEvents({ namespace: "filter-ns", action: `${accounts}/` })).length, 3);
    assert.equal((await allEvents({ namespace: "filter-ns", action: "raworc.v1.AuthService/" })).length, 0);
    // A service prefix is literal: LIKE wildcards in it match nothing else.
    assert.equal((await allEvents({ action: "raworc.v1.%/" })).length, 0);

    const window = await allEvents({ since: timestampFromDate(before), until: timestampFromDate(after) });
    assert.deepEqual(window.map((e) => e.requestId), inNs.map((e) => e.requestId), "since/until select exactly that window");
    assert.equal((await allEvents({ namespace: "filter-ns", until: timestampFromDate(before) })).length, 0);
    assert.equal((await allEvents({ namespace: "filter-ns", since: timestampFromDate(after) })).length, 0);
    const bad = await failure(audit.listAuditEvents({ since: timestampFromDate(after), until: timestampFromDate(before) }));
    assert.equal(bad.code, Code.InvalidArgument);
  });

  it("pages newest first without gaps or repeats, and refuses a forged page token", async () => {
    // Invalid creates are mutating calls too, and cheap: validation refuses them before any hashing.
    for (let i = 0; i < 7; i++) {
      await failure(admin.createServiceAccount({ serviceAccount: { metadata: { name: `Bad_${i}`, namespace: "paging" } }, password: "x" }, withRequestId(`req-page-${i}`)));
    }
    const everything = (await audit.listAuditEvents({ namespace: "paging", pageSize: 100 })).events;
    assert.deepEqual(everything.map((e) => e.requestId), [6, 5, 4, 3, 2, 1, 0].map((i) => `req-page-${i}`));
    assert.ok(everything.every((e) => e.result === "INVALID_ARGUMENT"));

    const pages: string[][] = [];
    let pageToken = "";
    do {
      const page = await audit.listAuditEvents({ namespace: "paging", pageSize: 3, pageToken });
      pages.push(page.events.map((e) => e.id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    assert.deepEqual(pages.map((p) => p.length), [3, 3, 1]);
    assert.deepEqual(pages.flat(), everything.map((e) => e.id));

    for (const token of ["garbage", Buffer.from(JSON.stringify(["yesterday", "1"])).toString("base64url")]) {
      assert.equal((await failure(audit.listAuditEvents({ pageToken: token }))).code, Code.InvalidArgument, token);
    }
  });

  it("refuses UPDATE, DELETE and TRUNCATE on audit_events in the database itself", async () => {
    const before = await sql.query<{ n: string }>(`select count(*) as n from audit_events`);
    for (const statement of [
      `update audit_events set result = 'OK' where result = 'PERMISSION_DENIED'`,
      `delete from audit_events`,
      `truncate audit_events`,
    ]) {
      await assert.rejects(sql.query(statement), /audit_events is append-only/, statement);
    }
    const after = await sql.query<{ n: string }>(`select count(*) as n from audit_events`);
    assert.equal(after.rows[0]!.n, before.rows[0]!.n);
  });

  it("does not let an account without permission list audit events, and audits the refusal", async () => {
    const error = await failure(bob.audit.listAuditEvents({}, withRequestId("req-bob-audit")));
    assert.equal(error.code, Code.PermissionDenied);
    assert.match(error.rawMessage, /cannot list auditevents/);
    const [event] = (await allEvents({ principal: "bob", action: "raworc.v1.AuditService/ListAuditEvents" }));
    assert.equal(event?.requestId, "req-bob-audit");
  });

  it("shows a namespaced lister only the events of its namespaces", async () => {
    await admin.createServiceAccount({ serviceAccount: { metadata: { name: "lead", namespace: "scoped" }, active: true }, password: "lead-password-123" });
    await sql.query(
      `insert into role_bindings (id, namespace, name, role_scope, role_name, subjects, labels, annotations, created_at, updated_at, version)
       values (gen_random_uuid(), 'scoped', 'lead-admin', 'global', 'admin', $1::jsonb, '{}', '{}', now(), now(), 1)`,
      [JSON.stringify([{ kind: "ServiceAccount", name: "lead", namespace: "scoped" }])],
    );
    const lead = clientOf(AuditService, t.url, await login(t.url, "scoped/lead", "lead-password-123"));
    const seen = (await lead.listAuditEvents({ pageSize: 1000 })).events;
    assert.ok(seen.length > 0);
    assert.ok(seen.every((e) => e.namespace === "scoped"), "only its namespace, not global events");
    assert.equal((await failure(lead.listAuditEvents({ namespace: "team-a" }))).code, Code.PermissionDenied);
  });

  it("does not audit reads", async () => {
    await admin.getServiceAccount({ ref: { name: "bob" } }, withRequestId("req-read-get"));
    await admin.listServiceAccounts({}, withRequestId("req-read-list"));
    await failure(admin.getServiceAccount({ ref: { name: "missing" } }, withRequestId("req-read-missing")));
    await audit.listAuditEvents({}, withRequestId("req-read-audit"));
    await clientOf(AuthService, t.url, await login(t.url, "bob", "bob-password-123")).whoAmI({}, withRequestId("req-read-whoami"));
    const rows = await sql.query(`select request_id from audit_events where request_id like 'req-read-%'`);
    assert.deepEqual(rows.rows, []);
  });

  const auditWriteFailures = async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    return Number(/^raworc_audit_write_failures_total (\d+)/m.exec(text)?.[1]);
  };

  it("keeps a call's outcome when its audit record cannot be written, and counts the failure", async () => {
    const failuresBefore = await auditWriteFailures();
    await sql.query(`alter table audit_events rename to audit_events_away`);
    try {
      await admin.createServiceAccount({ serviceAccount: { metadata: { name: "unrecorded" } }, password: "unrecorded-pass-1" });
    } finally {
      await sql.query(`alter table audit_events_away rename to audit_events`);
    }
    assert.equal((await admin.getServiceAccount({ ref: { name: "unrecorded" } })).serviceAccount?.metadata?.name, "unrecorded");
    assert.equal(await auditWriteFailures(), failuresBefore + 1);
  });

  it("answers within the write bound when the audit table is stalled, and the record lands afterwards", async () => {
    const failuresBefore = await auditWriteFailures();
    await sql.query("begin");
    let elapsed: number;
    try {
      await sql.query("lock table audit_events in access exclusive mode");
      const start = Date.now();
      await admin.createServiceAccount({ serviceAccount: { metadata: { name: "stalled" } }, password: "stalled-pass-123" }, withRequestId("req-stalled"));
      elapsed = Date.now() - start;
    } finally {
      await sql.query("commit");
    }
    assert.ok(elapsed >= 1500 && elapsed < 5000, `answered after ${elapsed} ms, bounded by the 2 s write timeout`);
    assert.equal(await auditWriteFailures(), failuresBefore + 1);
    // The queued insert commits on its own connection shortly after the lock is released.
    let landed = 0;
    for (let i = 0; i < 50 && landed === 0; i++) {
      landed = (await sql.query(`select 1 from audit_events where request_id = 'req-stalled'`)).rowCount ?? 0;
      if (landed === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(landed, 1, "the delayed insert still completes once the lock is gone");
  });
});
