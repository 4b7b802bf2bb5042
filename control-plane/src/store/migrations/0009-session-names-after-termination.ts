/** Frees a session's name once it is TERMINATED. */
import { Migration } from "@mikro-orm/migrations";

/**
 * A session's name was unique over every row, TERMINATED ones included, so a deleted session
 * kept its name for ever. The row stays (its events, turns, audit trail and children's lineage
 * refer to it by id), but only sessions that are not TERMINATED hold their name now, as in
 * Kubernetes once deletion has finished.
 */
export class Migration0009SessionNamesAfterTermination extends Migration {
  override up(): void {
    this.addSql(`alter table "sessions" drop constraint "sessions_namespace_name_unique"`);
    this.addSql(`create unique index "sessions_namespace_name_live_unique" on "sessions" ("namespace", "name") where state <> 'terminated'`);
    // Lookups by name read TERMINATED rows too, which the partial index does not hold.
    this.addSql(`create index "sessions_namespace_name_index" on "sessions" ("namespace", "name")`);
  }

  override down(): void {
    this.addSql(`drop index "sessions_namespace_name_index"`);
    this.addSql(`drop index "sessions_namespace_name_live_unique"`);
    this.addSql(`alter table "sessions" add constraint "sessions_namespace_name_unique" unique ("namespace", "name")`);
  }
}
