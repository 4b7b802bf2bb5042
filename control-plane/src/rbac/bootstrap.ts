/** First start: the default roles, the `default` namespace, and the admin account's binding. */
import type { Orm } from "../store/orm.js";
import { adminBindingName, defaultRoles } from "./default-roles.js";

/** Creates whatever of the defaults is missing; existing rows are left as operators left them. */
export async function bootstrapRbac(orm: Orm, adminName: string): Promise<void> {
  const conn = orm.em.getConnection();
  // "on conflict do nothing" makes concurrent first starts of several replicas safe.
  for (const role of defaultRoles) {
    await conn.execute(
      `insert into roles (id, namespace, name, description, rules, labels, annotations, created_at, updated_at, version)
       values (gen_random_uuid(), '', ?, ?, ?::jsonb, '{"raworc.dev/default":"true"}', '{}', now(), now(), 1)
       on conflict (namespace, name) do nothing`,
      [role.name, role.description, JSON.stringify(role.rules)],
    );
  }
  await conn.execute(
    `insert into namespaces (id, name, phase, labels, annotations, created_at, updated_at, version)
     values (gen_random_uuid(), 'default', 'active', '{}', '{}', now(), now(), 1)
     on conflict (name) do nothing`,
  );
  await conn.execute(
    `insert into role_bindings (id, namespace, name, role_scope, role_name, subjects, labels, annotations, created_at, updated_at, version)
     values (gen_random_uuid(), '', ?, 'global', 'admin', ?::jsonb, '{"raworc.dev/default":"true"}', '{}', now(), now(), 1)
     on conflict (namespace, name) do nothing`,
    [adminBindingName, JSON.stringify([{ kind: "ServiceAccount", name: adminName, namespace: "" }])],
  );
}

/** Whether any role exists (none means the defaults were never created, e.g. a crash mid-bootstrap). */
export async function hasAnyRole(orm: Orm): Promise<boolean> {
  const rows = await orm.em.getConnection().execute<{ n: string }[]>(`select count(*) as n from roles`);
  return Number(rows[0]?.n ?? 0) > 0;
}
