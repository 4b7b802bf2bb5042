/** Creates the secrets table. */
import { Migration } from "@mikro-orm/migrations";

/** Secrets: key names in clear, values only as AES-256-GCM ciphertext. */
export class Migration0004Secrets extends Migration {
  override up(): void {
    this.addSql(`
      create table "secrets" (
        "id" uuid not null primary key,
        "namespace" varchar(63) not null,
        "name" varchar(63) not null,
        "type" varchar(253) not null,
        "keys" jsonb not null,
        "ciphertext" bytea not null,
        "nonce" bytea not null,
        "key_id" varchar(32) not null,
        "labels" jsonb not null,
        "annotations" jsonb not null,
        "created_at" timestamptz not null,
        "updated_at" timestamptz not null,
        "version" int not null default 1,
        constraint "secrets_namespace_name_unique" unique ("namespace", "name")
      )`);
  }

  override down(): void {
    this.addSql(`drop table if exists "secrets"`);
  }
}
