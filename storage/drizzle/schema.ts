import { sql } from "drizzle-orm";
import { check, customType, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** A `bytea` from either driver as a plain `Uint8Array` (postgres.js hands back a Buffer). */
export function plainBytes(value: Uint8Array): Uint8Array {
	return value.constructor === Uint8Array ? value : new Uint8Array(value);
}

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
	dataType() {
		return "bytea";
	},
	fromDriver: plainBytes,
});

function timestamptz<TName extends string>(name: TName) {
	return timestamp(name, { withTimezone: true, mode: "date" });
}

/**
 * One row per session (see core/port.ts): the current token's hash, the previous one's,
 * and the successor sealed under the refresh secret and the previous token. Rotation updates the row in place, so
 * the row is also the session's tombstone for reuse detection.
 *
 * @example
 * ```ts
 * // Your own queries (e.g. an admin page), or export it from your drizzle-kit schema file
 * // so that `drizzle-kit push` knows the table instead of proposing to drop it.
 * import { count, isNull } from "drizzle-orm";
 * import { refreshKitSessions } from "refresh-kit/storage/drizzle";
 *
 * const [{ live }] = await db.select({ live: count() }).from(refreshKitSessions).where(isNull(refreshKitSessions.revokedAt));
 * ```
 */
export const refreshKitSessions = pgTable(
	"refresh_kit_sessions",
	{
		// Fixed-width columns first, then the variable-length ones: no alignment padding.
		id: uuid("id").primaryKey(),
		createdAt: timestamptz("created_at").notNull(),
		lastUsedAt: timestamptz("last_used_at").notNull(),
		rotatedAt: timestamptz("rotated_at"),
		expiresAt: timestamptz("expires_at"),
		absoluteExpiresAt: timestamptz("absolute_expires_at"),
		revokedAt: timestamptz("revoked_at"),
		/**
		 * When `prune` should look at the session next: never after it dies (the sooner of
		 * `revokedAt` and `expiresAt`), and left alone while the session is used, so that a
		 * rotation changes no indexed column and PostgreSQL can update the row heap-only (HOT).
		 * Null: the session never expires. Rows written before this column existed read
		 * `-infinity` ("look now"), which a `Date` cannot hold, hence the server's text.
		 */
		pruneAfter: timestamp("prune_after", { withTimezone: true, mode: "string" }).default(sql`'-infinity'`),
		generation: integer("generation").notNull().default(0),
		mode: text("mode", { enum: ["rotate", "reuse"] }).notNull(),
		subject: text("subject").notNull(),
		device: text("device"),
		familyHash: bytea("family_hash").notNull(),
		tokenHash: bytea("token_hash").notNull(),
		previousHash: bytea("previous_hash"),
		sealedSuccessor: bytea("sealed_successor"),
		claims: jsonb("claims").$type<Record<string, unknown>>(),
	},
	(t) => [
		// listSessions (ordered by creation), revokeSubject, and the reuse-mode lookup by subject + device.
		index("refresh_kit_sessions_subject_idx").on(t.subject, t.createdAt),
		// prune: the oldest sessions that may be dead, by one range scan. Revocation is in it
		// directly (a revoked session is dead at once); expiry only through prune_after, because
		// `expires_at` moves on every rotation and an index on it rules out HOT updates.
		// Sessions that never die stay out of it.
		index("refresh_kit_sessions_prune_idx").on(sql`least(${t.revokedAt}, ${t.pruneAfter})`).where(sql`least(${t.revokedAt}, ${t.pruneAfter}) is not null`),
		check("refresh_kit_sessions_mode_check", sql`${t.mode} in ('rotate', 'reuse')`),
		check("refresh_kit_sessions_generation_check", sql`${t.generation} >= 0`),
	],
);

/** A row of {@link refreshKitSessions}. */
export type RefreshKitSessionRow = typeof refreshKitSessions.$inferSelect;
