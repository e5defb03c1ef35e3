-- prune_after (see storage/drizzle/schema.ts) replaces the index on least(revoked_at, expires_at),
-- which kept every rotation from being a HOT update. A constant default is kept in the catalog:
-- existing rows are not rewritten, they read '-infinity' ("prune looks at it next").
-- Idempotent, so that on a large table the index can be built beforehand without blocking writes:
-- run the ALTER TABLE, then CREATE INDEX CONCURRENTLY, then DROP INDEX CONCURRENTLY, each alone.
ALTER TABLE "refresh_kit_sessions" ADD COLUMN IF NOT EXISTS "prune_after" timestamp with time zone DEFAULT '-infinity';--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "refresh_kit_sessions_prune_idx" ON "refresh_kit_sessions" USING btree (least("revoked_at", "prune_after")) WHERE least("refresh_kit_sessions"."revoked_at", "refresh_kit_sessions"."prune_after") is not null;--> statement-breakpoint
DROP INDEX IF EXISTS "refresh_kit_sessions_dead_idx";
