// The SQL of the store: the hand-written hot statements, whose rows are read by position (see
// columns.ts), and the ones Drizzle's query builder makes. All are named prepared statements.
import { and, asc, eq, gt, inArray, isNull, or, type SQL, sql } from "drizzle-orm";
import { ROTATED_COLUMNS, ROTATED_PADDING, SESSION_COLUMN_LIST, type SessionParamName } from "./columns.js";
import { type DrizzleDatabase, type DrizzleTransaction, rawStatement } from "./driver.js";
import { refreshKitSessions as sessions } from "./schema.js";

/** pg_advisory_xact_lock(int, int) namespace of reuse-mode logins ("RKS1"). */
const REUSE_LOCK_NAMESPACE = 0x524b5331;

/** A timestamptz placeholder. Times travel as ISO strings so that null needs no special case. */
function ts(name: string): SQL {
	return sql`${sql.placeholder(name)}::timestamptz`;
}

function ph(name: string): SQL {
	return sql`${sql.placeholder(name)}`;
}

function isLive(now: SQL): SQL | undefined {
	return and(isNull(sessions.revokedAt), or(isNull(sessions.expiresAt), gt(sessions.expiresAt, now)));
}

function reusableWhere(subject: SQL, device: SQL, now: SQL): SQL | undefined {
	return and(eq(sessions.subject, subject), sql`${sessions.device} is not distinct from ${device}::text`, eq(sessions.mode, "reuse"), isLive(now));
}

/** The VALUES of an insert, each value an SQL fragment made by `value` (a placeholder or a bound parameter). */
function insertValues(value: (name: SessionParamName) => SQL) {
	const time = (name: SessionParamName): SQL => sql`${value(name)}::timestamptz`;
	return {
		id: value("id"),
		subject: value("subject"),
		device: sql`${value("device")}::text`,
		claims: sql`${value("claims")}::jsonb`,
		mode: value("mode"),
		familyHash: value("familyHash"),
		tokenHash: value("tokenHash"),
		previousHash: sql`${value("previousHash")}::bytea`,
		sealedSuccessor: sql`${value("sealedSuccessor")}::bytea`,
		rotatedAt: time("rotatedAt"),
		generation: value("generation"),
		createdAt: time("createdAt"),
		lastUsedAt: time("lastUsedAt"),
		expiresAt: time("expiresAt"),
		absoluteExpiresAt: time("absoluteExpiresAt"),
		revokedAt: time("revokedAt"),
		pruneAfter: sql`least(${time("revokedAt")}, ${time("expiresAt")})`,
	};
}

/**
 * The statements of a reuse-mode login, for the store's database or for a transaction. Built
 * per transaction, they still run as named prepared statements: postgres.js caches a prepared
 * statement per connection by its text, so only the first use on a connection is parsed.
 */
export function reusableLoginStatements(db: DrizzleDatabase | DrizzleTransaction) {
	return {
		lock: db
			.select({ locked: sql<number>`1` })
			.from(sql`(select pg_advisory_xact_lock(${REUSE_LOCK_NAMESPACE}::int, hashtext(${ph("key")}))) as lock`)
			.prepare("refresh_kit_lock_reusable"),
		find: db
			.select()
			.from(sessions)
			.where(reusableWhere(ph("subject"), ph("device"), ts("now")))
			.orderBy(asc(sessions.createdAt), asc(sessions.id))
			.limit(1)
			.prepare("refresh_kit_find_reusable"),
		create: db.insert(sessions).values(insertValues(ph)).prepare("refresh_kit_create_session"),
	};
}

/**
 * The atomic consume-if-current, and in the same statement the current row when it did not
 * rotate, so grace and reuse need no second round trip. `previous_hash = token_hash` reads the
 * row's old value. Under READ COMMITTED an UPDATE that waited for a concurrent rotation of the
 * same row re-checks its WHERE against the new version and updates nothing; the fallback SELECT
 * then still sees the statement's snapshot, i.e. the token as current. The service treats that
 * "current but not rotated" view as stale and asks again, so no wrong verdict follows.
 * `prune_after` keeps its value unless the new expiry is sooner (a shorter idle TTL than when it
 * was set), so a rotation changes no indexed column and PostgreSQL updates the row heap-only.
 *
 * Written by hand rather than built by Drizzle because it is the happy path's whole storage cost
 * in Node: postgres.js hashes the statement text on every call to find its prepared statement
 * (so the text is short), and every column returned is parsed and mapped (so a rotation returns
 * only what the store cannot fill in from its input: the new hashes, the sealed successor, `now`,
 * and the expiry, which it computes as `least()` does). Its rows: `true` and
 * {@link ROTATED_COLUMNS} padded with nulls, or `false` and {@link SESSION_COLUMN_LIST}.
 */
const ROTATE_SQL = `with "updated" as (update refresh_kit_sessions set previous_hash = token_hash, token_hash = $1, sealed_successor = $2, rotated_at = $3::timestamptz, last_used_at = $3::timestamptz, expires_at = least($4::timestamptz, absolute_expires_at), prune_after = least(prune_after, $4::timestamptz, absolute_expires_at), generation = generation + 1 where id = $5 and token_hash = $6 and revoked_at is null and (expires_at is null or expires_at > $3::timestamptz) returning ${ROTATED_COLUMNS}) select true, ${ROTATED_COLUMNS}, ${ROTATED_PADDING} from "updated" union all select false, ${SESSION_COLUMN_LIST} from refresh_kit_sessions where id = $5 and not exists (select 1 from "updated")`;
const ROTATE_PARAMS = ["successorHash", "sealedSuccessor", "now", "idleExpiresAt", "id", "presentedHash"];

/**
 * Several rotations in one statement (see batch.ts): ROTATE_SQL over the rows of `input`, one per
 * rotation, each numbered (`in_n`) so that every row of the answer names the rotation it answers.
 * The arrays travel as text (postgres.js is opened with `fetch_types: false`, so it knows no array
 * types) and the hashes as hex; `in_` names keep the input's columns apart from the table's. The
 * UPDATE joins each input row to its session by primary key, and a row updated by a concurrent
 * statement is re-checked as in ROTATE_SQL, so it answers "not rotated" with the statement's
 * snapshot. Rows are sent sorted by id so that two batches lock shared rows in one order, but the
 * join follows that order only when PostgreSQL drives it from `input` (the usual nested loop over
 * the primary key), which no plan promises: a deadlock between two batches (40P01) is possible, and
 * the store retries it like any deadlock. Several rows may name one session, of which batch.ts
 * sends at most one that may rotate it; a row is updated at most once per statement, and every
 * other row of that session reads the snapshot, the session as it was before this statement, as it
 * would have if run just before. Its rows: `in_n`, then ROTATE_SQL's.
 */
const ROTATE_BATCH_SQL = `with input as (select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[]) with ordinality as i(in_id, in_presented, in_successor, in_sealed, in_now, in_idle, in_n)), "updated" as (update refresh_kit_sessions set previous_hash = token_hash, token_hash = decode(in_successor, 'hex'), sealed_successor = decode(in_sealed, 'hex'), rotated_at = in_now, last_used_at = in_now, expires_at = least(in_idle, absolute_expires_at), prune_after = least(prune_after, in_idle, absolute_expires_at), generation = generation + 1 from input where id = in_id and token_hash = decode(in_presented, 'hex') and revoked_at is null and (expires_at is null or expires_at > in_now) returning in_n, ${ROTATED_COLUMNS}) select in_n::int, true, ${ROTATED_COLUMNS}, ${ROTATED_PADDING} from "updated" union all select in_n::int, false, ${SESSION_COLUMN_LIST} from input join refresh_kit_sessions on id = in_id where not exists (select 1 from "updated" u where u.in_n = input.in_n)`;
const ROTATE_BATCH_PARAMS = ["ids", "presentedHashes", "successorHashes", "sealedSuccessors", "nows", "idleExpiries"];

/**
 * One bounded batch of prune. The candidates are the sessions whose `least(revoked_at,
 * prune_after)` has passed, oldest first, by a range scan of refresh_kit_sessions_prune_idx;
 * SKIP LOCKED lets several pruners (and live traffic) run at once without waiting on each other.
 * A candidate that is dead (the sooner of its revocation and its expiry is at or before `before`)
 * is deleted. One that is not was used since `prune_after` was set: its `prune_after` moves to
 * when it can die now (null if never), which takes it out of the candidates for good, and nothing
 * else of it changes. `= any(array(…))` makes each set an init plan feeding primary-key lookups;
 * with `in (…)` or a join the planner may hash-join against a scan of the whole table. Its one
 * row: how many were deleted, how many deferred.
 */
const PRUNE_SQL = `with candidates as (select id, least(revoked_at, expires_at) <= $1::timestamptz as dead from refresh_kit_sessions where least(revoked_at, prune_after) <= $1::timestamptz order by least(revoked_at, prune_after) limit $2 for update skip locked), deleted as (delete from refresh_kit_sessions where id = any(array(select id from candidates where dead)) returning 1), deferred as (update refresh_kit_sessions set prune_after = least(revoked_at, expires_at) where id = any(array(select id from candidates where dead is not true)) returning 1) select (select count(*) from deleted)::int, (select count(*) from deferred)::int`;

const FIND_SQL = `select ${SESSION_COLUMN_LIST} from refresh_kit_sessions where id = $1`;

/**
 * Every statement of the store, prepared once per store: on postgres.js a named prepared
 * statement is parsed and planned once per connection instead of on every call.
 */
export function prepareStatements(db: DrizzleDatabase) {
	const { create, find: findReusable } = reusableLoginStatements(db);

	const rotate = rawStatement(db, "refresh_kit_rotate_token", ROTATE_SQL, ROTATE_PARAMS);
	const rotateBatch = rawStatement(db, "refresh_kit_rotate_batch", ROTATE_BATCH_SQL, ROTATE_BATCH_PARAMS);
	const find = rawStatement(db, "refresh_kit_find_session", FIND_SQL, ["id"]);

	const touch = db
		.update(sessions)
		.set({
			lastUsedAt: ts("now"),
			expiresAt: sql`least(${ts("idleExpiresAt")}, ${sessions.absoluteExpiresAt})`,
			// Unchanged unless the new expiry is sooner than it (see ROTATE_SQL).
			pruneAfter: sql`least(${sessions.pruneAfter}, ${ts("idleExpiresAt")}, ${sessions.absoluteExpiresAt})`,
		})
		.where(and(eq(sessions.id, ph("id")), isLive(ts("now"))))
		.prepare("refresh_kit_touch_session");

	const revoke = db
		.update(sessions)
		.set({ revokedAt: ts("now") })
		.where(and(eq(sessions.id, ph("id")), isNull(sessions.revokedAt)))
		.returning()
		.prepare("refresh_kit_revoke_session");

	// Rows are locked in id order, so two concurrent revocations of one subject cannot deadlock.
	const revokeSubject = db
		.update(sessions)
		.set({ revokedAt: ts("now") })
		.where(
			and(
				inArray(
					sessions.id,
					db
						.select({ id: sessions.id })
						.from(sessions)
						.where(and(eq(sessions.subject, ph("subject")), isLive(ts("now"))))
						.orderBy(asc(sessions.id))
						.for("update"),
				),
				isNull(sessions.revokedAt),
			),
		)
		.returning({ id: sessions.id })
		.prepare("refresh_kit_revoke_subject");

	const list = db
		.select()
		.from(sessions)
		.where(and(eq(sessions.subject, ph("subject")), isLive(ts("now"))))
		.orderBy(asc(sessions.createdAt), asc(sessions.id))
		.limit(sql.placeholder("limit"))
		.prepare("refresh_kit_list_sessions");

	const prune = rawStatement(db, "refresh_kit_prune", PRUNE_SQL, ["before", "limit"]);

	return { create, rotate, rotateBatch, find, findReusable, touch, revoke, revokeSubject, list, prune };
}
