/** Creates the RBAC version and the triggers that move it on. */
import { Migration } from "@mikro-orm/migrations";
import { bumpRbacVersionBody } from "../entities/rbac.js";

/**
 * One row whose version every write to roles or role bindings increments in its own transaction
 * (statement triggers, so no write path can forget to): the authorizer keeps grants per version,
 * and authentication reads the version with the account on each call. Function names follow
 * MikroORM's convention ("<table>_<trigger>_fn") so the schema diff recognises the triggers.
 */
export class Migration0008RbacVersion extends Migration {
  override up(): void {
    this.addSql(`create table "rbac_version" ("id" smallint not null primary key, "version" bigint not null)`);
    this.addSql(`insert into "rbac_version" ("id", "version") values (1, 0)`);
    for (const table of ["roles", "role_bindings"]) {
      this.addSql(`create function "${table}_bump_rbac_version_fn"() returns trigger as $$ begin ${bumpRbacVersionBody} end; $$ language plpgsql`);
      this.addSql(`create trigger "bump_rbac_version" after insert or update or delete on "${table}" for each statement execute function "${table}_bump_rbac_version_fn"()`);
    }
  }

  override down(): void {
    for (const table of ["roles", "role_bindings"]) {
      this.addSql(`drop trigger if exists "bump_rbac_version" on "${table}"`);
      this.addSql(`drop function if exists "${table}_bump_rbac_version_fn"()`);
    }
    this.addSql(`drop table if exists "rbac_version"`);
  }
}
