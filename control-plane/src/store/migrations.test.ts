import assert from "node:assert/strict";
import { createTestDatabase, type TestDatabase } from "@raworc/test-support/database.js";
import { migrations } from "./migrations/index.js";
import { openOrm, type Orm } from "./orm.js";

describe("migrations (real PostgreSQL)", () => {
  let db: TestDatabase;
  let orm: Orm | undefined;
  before(async () => (db = await createTestDatabase()));
  after(async () => {
    await orm?.close(true);
    await db?.drop();
  });

  it("produce exactly the schema the entities describe", async () => {
    orm = await openOrm({ url: db.url });
    const drift = await orm.schema.getUpdateSchemaSQL({ wrap: false, safe: false, dropTables: false });
    assert.equal(drift.trim(), "", `entities and migrations disagree:\n${drift}`);
  });

  it("are idempotent: opening again applies nothing and keeps the data", async () => {
    await orm!.em.getConnection().execute(
      `insert into service_accounts (id, namespace, name, description, password_hash, active, labels, annotations,
         token_generation, created_at, updated_at) values (gen_random_uuid(), '', 'kept', '', 'x', true, '{}', '{}', 1, now(), now())`,
    );
    await orm!.close(true);
    orm = await openOrm({ url: db.url });
    const rows = await orm.em.getConnection().execute<{ name: string }[]>(`select name from service_accounts`);
    assert.deepEqual(rows.map((r) => r.name), ["kept"]);
    const applied = await orm.em.getConnection().execute<{ name: string }[]>(`select name from raworc_migrations`);
    assert.equal(applied.length, migrations.length);
  });

  it("let replicas starting at once on a fresh database migrate one after the other", async () => {
    const fresh = await createTestDatabase();
    try {
      const replicas = await Promise.all([1, 2, 3].map(() => openOrm({ url: fresh.url, poolSize: 2 })));
      const applied = await replicas[0]!.em.getConnection().execute<{ name: string }[]>(`select name from raworc_migrations order by id`);
      assert.deepEqual(applied.map((r) => r.name), migrations.map((m) => m.name), "each migration applied exactly once");
      await Promise.all(replicas.map((r) => r.close(true)));
    } finally {
      await fresh.drop();
    }
  });
});
