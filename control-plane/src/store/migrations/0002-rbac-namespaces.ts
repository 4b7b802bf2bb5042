/** Creates the roles, role_bindings and namespaces tables. */
import { Migration } from "@mikro-orm/migrations";

const common = `
  "id" uuid not null primary key,
  "labels" jsonb not null,
  "annotations" jsonb not null,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "version" int not null default 1`;

/** RBAC and namespaces. */
export class Migration0002RbacNamespaces extends Migration {
  override up(): void {
    this.addSql(`create table "roles" (${common},
      "namespace" varchar(63) not null,
      "name" varchar(63) not null,
      "description" text not null,
      "rules" jsonb not null,
      constraint "roles_namespace_name_unique" unique ("namespace", "name"))`);
    this.addSql(`create table "role_bindings" (${common},
      "namespace" varchar(63) not null,
      "name" varchar(63) not null,
      "role_scope" varchar(16) not null,
      "role_name" varchar(63) not null,
      "subjects" jsonb not null,
      constraint "role_bindings_namespace_name_unique" unique ("namespace", "name"))`);
    // Authorization looks bindings up by subject on every call.
    this.addSql(`create index "role_bindings_subjects_gin" on "role_bindings" using gin ("subjects" jsonb_path_ops)`);
    this.addSql(`create table "namespaces" (${common},
      "name" varchar(63) not null,
      "phase" varchar(16) not null,
      constraint "namespaces_name_unique" unique ("name"))`);
  }

  override down(): void {
    this.addSql(`drop table if exists "namespaces"`);
    this.addSql(`drop table if exists "role_bindings"`);
    this.addSql(`drop table if exists "roles"`);
  }
}
