/** Adds turn checkpoints: the table of each session's checkpoints and the checkpoint a remix starts from. */
import { Migration } from "@mikro-orm/migrations";

/** session_checkpoints, and sessions.parent_checkpoint_id. */
export class Migration0007SessionCheckpoints extends Migration {
  override up(): void {
    this.addSql(`alter table "sessions" add column "parent_checkpoint_id" varchar(128) null`);
    this.addSql(`create table "session_checkpoints" (
      "session_id" uuid not null,
      "turn" int not null,
      "checkpoint_id" varchar(128) not null,
      "file_count" bigint not null,
      "total_bytes" bigint not null,
      "stored_bytes" bigint not null,
      "daemon_seq" bigint null,
      "created_at" timestamptz not null,
      constraint "session_checkpoints_pkey" primary key ("session_id", "turn"))`);
  }

  override down(): void {
    this.addSql(`drop table if exists "session_checkpoints"`);
    this.addSql(`alter table "sessions" drop column if exists "parent_checkpoint_id"`);
  }
}
