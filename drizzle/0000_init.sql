CREATE TABLE "refresh_kit_sessions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_used_at" timestamp with time zone NOT NULL,
	"rotated_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"absolute_expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"generation" integer DEFAULT 0 NOT NULL,
	"mode" text NOT NULL,
	"subject" text NOT NULL,
	"device" text,
	"family_hash" "bytea" NOT NULL,
	"token_hash" "bytea" NOT NULL,
	"previous_hash" "bytea",
	"sealed_successor" "bytea",
	"claims" jsonb,
	CONSTRAINT "refresh_kit_sessions_mode_check" CHECK ("refresh_kit_sessions"."mode" in ('rotate', 'reuse')),
	CONSTRAINT "refresh_kit_sessions_generation_check" CHECK ("refresh_kit_sessions"."generation" >= 0)
);
--> statement-breakpoint
CREATE INDEX "refresh_kit_sessions_subject_idx" ON "refresh_kit_sessions" USING btree ("subject","created_at");--> statement-breakpoint
CREATE INDEX "refresh_kit_sessions_dead_idx" ON "refresh_kit_sessions" USING btree (least("revoked_at", "expires_at")) WHERE least("refresh_kit_sessions"."revoked_at", "refresh_kit_sessions"."expires_at") is not null;