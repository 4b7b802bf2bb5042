/** Creates the service_accounts table. */
import { Migration } from "@mikro-orm/migrations";

/** The first migration: service accounts. */
export class Migration0001ServiceAccounts extends Migration {
  override up(): void {
    this.addSql(`
      create table "service_accounts" (
        "id" uuid not null,
        "namespace" varchar(63) not null,
        "name" varchar(63) not null,
        "description" text not null,
        "password_hash" text not null,
        "active" boolean not null,
        "labels" jsonb not null,
        "annotations" jsonb not null,
        "token_generation" int not null,
        "last_login_at" timestamptz null,
        "created_at" timestamptz not null,
        "updated_at" timestamptz not null,
        "version" int not null default 1,
        constraint "service_accounts_pkey" primary key ("id")
      )`);
    this.addSql(
      `alter table "service_accounts" add constraint "service_accounts_namespace_name_unique" unique ("namespace", "name")`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "service_accounts"`);
  }
}
