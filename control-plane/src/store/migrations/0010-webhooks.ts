/** Creates the webhook tables. */
import { Migration } from "@mikro-orm/migrations";

/** Webhooks, their deliveries (the outbox, filled in the transaction that stores the event) and attempts. */
export class Migration0010Webhooks extends Migration {
  override up(): void {
    this.addSql(`
      create table "webhooks" (
        "id" uuid not null primary key,
        "namespace" varchar(63) not null,
        "name" varchar(63) not null,
        "url" text not null,
        "event_types" jsonb not null,
        "session_selector" varchar(1024) not null,
        "disabled" boolean not null,
        "timeout_ms" int not null,
        "disabled_reason" varchar(32) not null,
        "disabled_message" text not null,
        "owner" jsonb not null,
        "secret_ciphertext" bytea not null,
        "secret_nonce" bytea not null,
        "secret_key_id" varchar(32) not null,
        "secret_created_at" timestamptz not null,
        "previous_secret_expires_at" timestamptz null,
        "last_success_at" timestamptz null,
        "last_failure_at" timestamptz null,
        "last_failure" text not null,
        "labels" jsonb not null,
        "annotations" jsonb not null,
        "created_at" timestamptz not null,
        "updated_at" timestamptz not null,
        "version" int not null default 1,
        constraint "webhooks_namespace_name_unique" unique ("namespace", "name")
      )`);
    this.addSql(`
      create table "webhook_deliveries" (
        "id" uuid not null primary key,
        "webhook_id" uuid not null,
        "message_id" varchar(64) not null,
        "session_id" uuid not null,
        "session_namespace" varchar(63) not null,
        "session_name" varchar(63) not null,
        "event_seq" bigint not null,
        "event_type" varchar(32) not null,
        "state" varchar(16) not null,
        "message" text not null,
        "attempts" int not null,
        "next_attempt_at" timestamptz not null,
        "lease_owner" varchar(128) null,
        "lease_until" timestamptz null,
        "replay_of" uuid null,
        "created_at" timestamptz not null,
        "completed_at" timestamptz null,
        constraint "webhook_deliveries_webhook_id_foreign" foreign key ("webhook_id") references "webhooks" ("id") on delete cascade
      )`);
    this.addSql(`create index "webhook_deliveries_state_next_attempt_at_index" on "webhook_deliveries" ("state", "next_attempt_at")`);
    this.addSql(`create index "webhook_deliveries_webhook_id_created_at_index" on "webhook_deliveries" ("webhook_id", "created_at")`);
    this.addSql(`
      create table "webhook_attempts" (
        "delivery_id" uuid not null,
        "number" int not null,
        "started_at" timestamptz not null,
        "duration_ms" int not null,
        "status_code" int not null,
        "error" text not null,
        "response_body" text not null,
        constraint "webhook_attempts_pkey" primary key ("delivery_id", "number"),
        constraint "webhook_attempts_delivery_id_foreign" foreign key ("delivery_id") references "webhook_deliveries" ("id") on delete cascade
      )`);
  }

  override down(): void {
    for (const t of ["webhook_attempts", "webhook_deliveries", "webhooks"]) this.addSql(`drop table if exists "${t}"`);
  }
}
