/** Creates the agents table. */
import { Migration } from "@mikro-orm/migrations";

/** Agents: one row per namespaced agent, its spec as protobuf JSON. */
export class Migration0005Agents extends Migration {
  override up(): void {
    this.addSql(`
      create table "agents" (
        "id" uuid not null primary key,
        "namespace" varchar(63) not null,
        "name" varchar(63) not null,
        "spec" jsonb not null,
        "labels" jsonb not null,
        "annotations" jsonb not null,
        "created_at" timestamptz not null,
        "updated_at" timestamptz not null,
        "version" int not null default 1,
        constraint "agents_namespace_name_unique" unique ("namespace", "name")
      )`);
  }

  override down(): void {
    this.addSql(`drop table if exists "agents"`);
  }
}
