/** Creates the append-only `audit_events` table. */
import { Migration } from "@mikro-orm/migrations";

// Frozen copy of the entity's trigger body: a migration never changes once released, and the
// entity/migration test fails if the two drift.
const appendOnlyBody = `raise exception 'audit_events is append-only: % is not allowed', tg_op using errcode = 'insufficient_privilege';`;

/** The audit log, with triggers that refuse to rewrite or erase it. */
export class Migration0003AuditEvents extends Migration {
  override up(): void {
    this.addSql(`create table "audit_events" (
      "id" bigserial primary key,
      "time" timestamptz not null,
      "principal" text not null,
      "principal_kind" varchar(32) not null,
      "action" text not null,
      "api_group" text not null,
      "resource" text not null,
      "verb" text not null,
      "namespace" text not null,
      "name" text not null,
      "result" varchar(32) not null,
      "reason" text not null,
      "request_id" text not null,
      "client_address" text not null,
      "user_agent" text not null)`);
    this.addSql(`create index "audit_events_time_id_index" on "audit_events" ("time", "id")`);
    this.addSql(`create index "audit_events_principal_time_id_index" on "audit_events" ("principal", "time", "id")`);
    this.addSql(`create index "audit_events_namespace_time_id_index" on "audit_events" ("namespace", "time", "id")`);
    this.addSql(`create index "audit_events_result_time_id_index" on "audit_events" ("result", "time", "id")`);
    this.addSql(`create index "audit_events_action_time_id_index" on "audit_events" ("action" text_pattern_ops, "time", "id")`);
    // Append-only below the API too, so that a bug or a stray statement cannot rewrite history;
    // only the table's owner dropping the triggers gets past them. The names follow MikroORM's
    // convention ("<table>_<trigger>_fn") so the schema diff recognises the declared trigger.
    this.addSql(`create function "audit_events_append_only_fn"() returns trigger as $$ begin ${appendOnlyBody} end; $$ language plpgsql`);
    this.addSql(`create trigger "append_only" before update or delete on "audit_events" for each row execute function "audit_events_append_only_fn"()`);
    this.addSql(`create trigger "no_truncate" before truncate on "audit_events" for each statement execute function "audit_events_append_only_fn"()`);
  }

  override down(): void {
    this.addSql(`drop table if exists "audit_events"`);
    this.addSql(`drop function if exists "audit_events_append_only_fn"()`);
  }
}
