/** Creates the session tables. */
import { Migration } from "@mikro-orm/migrations";

/** Sessions, their transitions, event log and work items. */
export class Migration0006Sessions extends Migration {
  override up(): void {
    this.addSql(`create table "sessions" (
      "id" uuid not null primary key,
      "namespace" varchar(63) not null,
      "name" varchar(63) not null,
      "spec" jsonb not null,
      "desired" varchar(16) not null,
      "state" varchar(16) not null,
      "reason" varchar(64) not null,
      "message" text not null,
      "runtime" varchar(16) not null,
      "runtime_handle" varchar(253) not null,
      "parent_id" uuid null,
      "parent_turn" int null,
      "creator" jsonb not null,
      "turn_count" int not null,
      "active_turn" int not null,
      "last_event_seq" bigint not null,
      "last_daemon_seq" bigint not null,
      "last_work_seq" bigint not null,
      "token_generation" int not null,
      "restart_attempts" int not null,
      "started_at" timestamptz null,
      "next_attempt_at" timestamptz null,
      "last_activity_at" timestamptz not null,
      "lease_owner" varchar(64) null,
      "lease_until" timestamptz null,
      "volume_retained" boolean not null,
      "labels" jsonb not null,
      "annotations" jsonb not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "version" int not null default 1,
      constraint "sessions_namespace_name_unique" unique ("namespace", "name"))`);
    this.addSql(`create index "sessions_desired_state_index" on "sessions" ("desired", "state")`);
    this.addSql(`create index "sessions_parent_id_index" on "sessions" ("parent_id")`);
    this.addSql(`create table "session_transitions" (
      "id" bigserial primary key,
      "session_id" uuid not null,
      "from_state" varchar(16) not null,
      "to_state" varchar(16) not null,
      "reason" varchar(64) not null,
      "message" text not null,
      "at" timestamptz not null)`);
    this.addSql(`create index "session_transitions_session_id_id_index" on "session_transitions" ("session_id", "id")`);
    this.addSql(`create table "session_events" (
      "session_id" uuid not null,
      "seq" bigint not null,
      "daemon_seq" bigint null,
      "kind" varchar(32) not null,
      "turn" int not null,
      "time" timestamptz not null,
      "payload" bytea not null,
      constraint "session_events_pkey" primary key ("session_id", "seq"),
      constraint "session_events_session_id_daemon_seq_unique" unique ("session_id", "daemon_seq"))`);
    this.addSql(`create table "session_work_items" (
      "session_id" uuid not null,
      "seq" bigint not null,
      "kind" varchar(32) not null,
      "payload" bytea not null,
      "idempotency_key" varchar(128) null,
      "event_seq" bigint null,
      "created_at" timestamptz not null,
      "acked_at" timestamptz null,
      constraint "session_work_items_pkey" primary key ("session_id", "seq"),
      constraint "session_work_items_session_id_idempotency_key_unique" unique ("session_id", "idempotency_key"))`);
  }

  override down(): void {
    for (const t of ["session_work_items", "session_events", "session_transitions", "sessions"]) this.addSql(`drop table if exists "${t}"`);
  }
}
