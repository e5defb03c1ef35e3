import { and, asc, entityKind, eq, gt, inArray, isNull, or, sql, type SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { TokenError } from "../../core/errors.js";
import type { PruneBatch, RotationResult, SessionRecord, SessionTouch, TokenRotation, TokenStore } from "../../core/port.js";
import { isSessionId, sooner } from "../../core/session.js";
import { plainBytes, refreshKitSessions as sessions, type RefreshKitSessionRow } from "./schema.js";

/**
 * A Drizzle PostgreSQL database: `drizzle(postgres(url))` from `drizzle-orm/postgres-js` or
 * `drizzle(new PGlite())` from `drizzle-orm/pglite`. Other drivers are refused at construction.
 */
// `any` for the schema parameters: the app's database may declare any relational schema.
export type DrizzleDatabase = PgDatabase<PgQueryResultHKT, any, any>;

/** Options of {@link drizzleStore}. */
export interface DrizzleStoreOptions {
	/**
	 * How many times a statement that PostgreSQL aborted with a serialization failure (40001)
	 * or a deadlock (40P01) is run again before the error reaches the caller. Such a statement
	 * changed nothing, so running it again is safe. Default 5.
	 */
	retries?: number;
}

/**
 * The drivers whose sessions give one-statement atomic rotation and real transactions, each
 * with a check that a real client is attached (drizzle.mock() has none).
 */
const SUPPORTED_DRIVERS = new Map<string, (client: unknown) => boolean>([
	["PostgresJsDatabase", (client) => typeof client === "function" && typeof (client as { begin?: unknown }).begin === "function"],
	["PgliteDatabase", (client) => typeof client === "object" && client !== null && typeof (client as { transaction?: unknown }).transaction === "function"],
]);

/** pg_advisory_xact_lock(int, int) namespace of reuse-mode logins ("RKS1"). */
const REUSE_LOCK_NAMESPACE = 0x524b5331;

const RETRYABLE_STATES = new Set(["40001", "40P01"]);

/** Throws ERR_CONFIG_INVALID unless `db` is a postgres.js or PGlite Drizzle database. */
export function assertSupportedDatabase(db: unknown): asserts db is DrizzleDatabase {
	const kind = typeof db === "object" && db !== null ? (db.constructor as { [entityKind]?: unknown })[entityKind] : undefined;
	const hasClient = typeof kind === "string" ? SUPPORTED_DRIVERS.get(kind) : undefined;
	if (hasClient === undefined || !hasClient((db as { $client?: unknown }).$client)) {
		throw new TokenError(
			"ERR_CONFIG_INVALID",
			"drizzleStore needs a drizzle-orm/postgres-js or drizzle-orm/pglite database: other drivers cannot guarantee atomic rotation and transactions",
		);
	}
}

/**
 * The PostgreSQL {@link TokenStore}: one row per session in `refresh_kit_sessions`.
 *
 * The happy-path exchange is one prepared statement: an `UPDATE … RETURNING` that consumes the
 * presented token only if it is current and the session live, and in the same statement the
 * current row when it did not, so grace and reuse need no extra round trip. Serialization
 * failures and deadlocks are retried here; every other error (connection lost, backend
 * terminated, timeout) is thrown, and the service reports it as `ERR_STORE_UNAVAILABLE`.
 * Run {@link migrate} (or use {@link openStore}) first.
 *
 * @example
 * ```ts
 * import postgres from "postgres";
 * import { drizzle } from "drizzle-orm/postgres-js";
 * import { createTokenService } from "refresh-kit";
 * import { drizzleStore, migrate } from "refresh-kit/storage/drizzle";
 *
 * const db = drizzle(postgres(process.env.DATABASE_URL!, { max: 10 }));
 * await migrate(db);
 * const service = createTokenService({ store: drizzleStore(db), keys: { secret }, issuer, audience });
 * ```
 */
export function drizzleStore(db: DrizzleDatabase, options: DrizzleStoreOptions = {}): TokenStore {
	assertSupportedDatabase(db);
	const retries = options.retries ?? 5;
	if (!Number.isSafeInteger(retries) || retries < 0) throw new TokenError("ERR_CONFIG_INVALID", "drizzleStore: retries must be a non-negative integer");
	const q = prepareStatements(db);

	function retrying<T>(operation: () => Promise<T>): Promise<T> {
		return withRetries(retries, operation);
	}

	return {
		guarantees: { atomicRotation: true },

		async createSession(session: SessionRecord): Promise<void> {
			await retrying(() => q.create.execute(sessionParams(session)));
		},

		async openReusableSession(session: SessionRecord): Promise<SessionRecord> {
			const lookup = { subject: session.subject, device: session.device, now: iso(session.createdAt) };
			// Fast path, one statement: the returning user whose session is live.
			const [live] = await retrying(() => q.findReusable.execute(lookup));
			if (live !== undefined) return toRecord(live);
			// Liveness depends on `now`, so no unique index can say "one live session per subject
			// and device". Instead every opener of the same (subject, device) serializes on a
			// transaction-scoped advisory lock and looks again before inserting; openers of other
			// keys never wait. The second look is a new statement, so under READ COMMITTED (set
			// explicitly: a REPEATABLE READ default would keep the pre-lock snapshot) it sees a
			// session that a previous lock holder committed.
			return retrying(() =>
				db.transaction(
					async (tx) => {
						const statements = reusableLoginStatements(tx);
						await statements.lock.execute({ key: JSON.stringify([session.subject, session.device]) });
						const [existing] = await statements.find.execute(lookup);
						if (existing !== undefined) return toRecord(existing);
						await statements.create.execute(sessionParams(session));
						return { ...session };
					},
					{ isolationLevel: "read committed" },
				),
			);
		},

		async rotateToken(rotation: TokenRotation): Promise<RotationResult> {
			if (!isSessionId(rotation.sessionId)) return { rotated: false, session: null };
			const rows = await retrying(() =>
				q.rotate.execute({
					id: rotation.sessionId,
					presentedHash: rotation.presentedHash,
					successorHash: rotation.successorHash,
					sealedSuccessor: rotation.sealedSuccessor,
					now: iso(rotation.now),
					idleExpiresAt: isoOrNull(rotation.idleExpiresAt),
				}),
			);
			const row = rows[0];
			if (row === undefined) return { rotated: false, session: null };
			return row[0] === true ? { rotated: true, session: rotatedRecord(row, rotation) } : { rotated: false, session: rowRecord(row, 1) };
		},

		async findSession(sessionId: string): Promise<SessionRecord | null> {
			if (!isSessionId(sessionId)) return null;
			const rows = await retrying(() => q.find.execute({ id: sessionId }));
			const row = rows[0];
			return row === undefined ? null : rowRecord(row, 0);
		},

		async touchSession(touch: SessionTouch): Promise<void> {
			if (!isSessionId(touch.sessionId)) return;
			await retrying(() => q.touch.execute({ id: touch.sessionId, now: iso(touch.now), idleExpiresAt: isoOrNull(touch.idleExpiresAt) }));
		},

		async revokeSession(sessionId: string, now: Date): Promise<SessionRecord | null> {
			if (!isSessionId(sessionId)) return null;
			const [row] = await retrying(() => q.revoke.execute({ id: sessionId, now: iso(now) }));
			return row === undefined ? null : toRecord(row);
		},

		async revokeSubject(subject: string, now: Date): Promise<string[]> {
			const rows = await retrying(() => q.revokeSubject.execute({ subject, now: iso(now) }));
			return rows.map((row) => row.id);
		},

		async listSessions(subject: string, now: Date, limit: number): Promise<SessionRecord[]> {
			const rows = await retrying(() => q.list.execute({ subject, now: iso(now), limit }));
			return rows.map(toRecord);
		},

		async prune(batch: PruneBatch): Promise<number> {
			if (!Number.isSafeInteger(batch.limit) || batch.limit < 1) return 0;
			const before = iso(batch.before);
			let deleted = 0;
			for (;;) {
				const wanted = batch.limit - deleted;
				const [row] = await retrying(() => q.prune.execute({ before, limit: wanted }));
				const [gone, deferred] = (row ?? [0, 0]) as [number, number];
				deleted += gone;
				// Sessions that were still alive took up part of the batch: look again, unless the
				// batch came back short (no candidates left, or the rest are locked by others).
				// Each deferred session left the candidates for good, so this ends.
				if (deferred === 0 || deleted >= batch.limit || gone + deferred < wanted) return deleted;
			}
		},
	};
}

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

type SessionParamName = keyof ReturnType<typeof sessionParams>;

function sessionParams(session: SessionRecord) {
	return {
		id: session.id,
		subject: session.subject,
		device: session.device,
		claims: session.claims === null ? null : JSON.stringify(session.claims),
		mode: session.mode,
		familyHash: session.familyHash,
		tokenHash: session.tokenHash,
		previousHash: session.previousHash,
		sealedSuccessor: session.sealedSuccessor,
		rotatedAt: isoOrNull(session.rotatedAt),
		generation: session.generation,
		createdAt: iso(session.createdAt),
		lastUsedAt: iso(session.lastUsedAt),
		expiresAt: isoOrNull(session.expiresAt),
		absoluteExpiresAt: isoOrNull(session.absoluteExpiresAt),
		revokedAt: isoOrNull(session.revokedAt),
	};
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
function reusableLoginStatements(db: DrizzleDatabase | Parameters<Parameters<DrizzleDatabase["transaction"]>[0]>[0]) {
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

/** What a rotation's answer returns of the session: what the store cannot know from its input. */
const ROTATED_COLUMNS = "subject, device, claims, mode, family_hash, generation, created_at, absolute_expires_at";

/**
 * Every column of a session as the hot statements return them, in this order (`rowRecord` reads
 * them by position): `ROTATED_COLUMNS` first, so a rotated row has the same layout.
 */
const SESSION_COLUMNS = `${ROTATED_COLUMNS}, id, token_hash, previous_hash, sealed_successor, rotated_at, last_used_at, expires_at, revoked_at`;

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
 * and the expiry, which it computes as `least()` does).
 */
const ROTATE_SQL = `with "updated" as (update refresh_kit_sessions set previous_hash = token_hash, token_hash = $1, sealed_successor = $2, rotated_at = $3::timestamptz, last_used_at = $3::timestamptz, expires_at = least($4::timestamptz, absolute_expires_at), prune_after = least(prune_after, $4::timestamptz, absolute_expires_at), generation = generation + 1 where id = $5 and token_hash = $6 and revoked_at is null and (expires_at is null or expires_at > $3::timestamptz) returning ${ROTATED_COLUMNS}) select true, ${ROTATED_COLUMNS}, null, null, null, null, null, null, null, null from "updated" union all select false, ${SESSION_COLUMNS} from refresh_kit_sessions where id = $5 and not exists (select 1 from "updated")`;
const ROTATE_PARAMS = ["successorHash", "sealedSuccessor", "now", "idleExpiresAt", "id", "presentedHash"];

/**
 * One bounded batch of prune. The candidates are the sessions whose `least(revoked_at,
 * prune_after)` has passed, oldest first, by a range scan of refresh_kit_sessions_prune_idx;
 * SKIP LOCKED lets several pruners (and live traffic) run at once without waiting on each other.
 * A candidate that is dead (the sooner of its revocation and its expiry is at or before `before`)
 * is deleted. One that is not was used since `prune_after` was set: its `prune_after` moves to
 * when it can die now (null if never), which takes it out of the candidates for good, and nothing
 * else of it changes. `= any(array(…))` makes each set an init plan feeding primary-key lookups;
 * with `in (…)` or a join the planner may hash-join against a scan of the whole table.
 */
const PRUNE_SQL = `with candidates as (select id, least(revoked_at, expires_at) <= $1::timestamptz as dead from refresh_kit_sessions where least(revoked_at, prune_after) <= $1::timestamptz order by least(revoked_at, prune_after) limit $2 for update skip locked), deleted as (delete from refresh_kit_sessions where id = any(array(select id from candidates where dead)) returning 1), deferred as (update refresh_kit_sessions set prune_after = least(revoked_at, expires_at) where id = any(array(select id from candidates where dead is not true)) returning 1) select (select count(*) from deleted)::int, (select count(*) from deferred)::int`;

const FIND_SQL = `select ${SESSION_COLUMNS} from refresh_kit_sessions where id = $1`;

/**
 * A named prepared statement whose rows come back as the driver's arrays, read by position:
 * Drizzle's generic mapping (entity checks and a decoder call per column) cost more than the
 * rest of the store. Still a Drizzle prepared query, so the app's Drizzle logger sees it and its
 * errors look like those of any other statement.
 */
function rawStatement(db: DrizzleDatabase, name: string, text: string, params: string[]) {
	return db._.session.prepareQuery<{ execute: unknown[][]; all: unknown; values: unknown }>(
		{ sql: text, params: params.map((param) => sql.placeholder(param)) },
		undefined,
		name,
		true,
		(rows) => rows,
	);
}

/**
 * Every statement of the store, prepared once per store: on postgres.js a named prepared
 * statement is parsed and planned once per connection instead of on every call.
 */
function prepareStatements(db: DrizzleDatabase) {
	const { create, find: findReusable } = reusableLoginStatements(db);

	const rotate = rawStatement(db, "refresh_kit_rotate_token", ROTATE_SQL, ROTATE_PARAMS);
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

	return { create, rotate, find, findReusable, touch, revoke, revokeSubject, list, prune };
}

function toRecord(row: RefreshKitSessionRow): SessionRecord {
	return {
		id: row.id,
		subject: row.subject,
		device: row.device,
		claims: row.claims ?? null,
		mode: row.mode,
		familyHash: row.familyHash,
		tokenHash: row.tokenHash,
		previousHash: row.previousHash,
		sealedSuccessor: row.sealedSuccessor,
		rotatedAt: row.rotatedAt,
		generation: row.generation,
		createdAt: row.createdAt,
		lastUsedAt: row.lastUsedAt,
		expiresAt: row.expiresAt,
		absoluteExpiresAt: row.absoluteExpiresAt,
		revokedAt: row.revokedAt,
	};
}

/** A session from a row laid out as `SESSION_COLUMNS`, starting at `at`. */
function rowRecord(row: unknown[], at: number): SessionRecord {
	return {
		id: row[at + 8] as string,
		subject: row[at] as string,
		device: row[at + 1] as string | null,
		claims: jsonOrNull(row[at + 2]),
		mode: row[at + 3] as SessionRecord["mode"],
		familyHash: bytes(row[at + 4]),
		tokenHash: bytes(row[at + 9]),
		previousHash: bytesOrNull(row[at + 10]),
		sealedSuccessor: bytesOrNull(row[at + 11]),
		rotatedAt: dateOrNull(row[at + 12]),
		generation: row[at + 5] as number,
		createdAt: date(row[at + 6]),
		lastUsedAt: date(row[at + 13]),
		expiresAt: dateOrNull(row[at + 14]),
		absoluteExpiresAt: dateOrNull(row[at + 7]),
		revokedAt: dateOrNull(row[at + 15]),
	};
}

/**
 * The session a rotation produced: what the statement returned (`true`, then `ROTATED_COLUMNS`),
 * and the rest exactly as the UPDATE wrote it. The WHERE matched
 * `token_hash = presentedHash` and `revoked_at is null`, so those are the previous hash and
 * the revocation; `least()` skips nulls, as `sooner` does.
 */
function rotatedRecord(row: unknown[], rotation: TokenRotation): SessionRecord {
	const absoluteExpiresAt = dateOrNull(row[8]);
	return {
		// PostgreSQL prints a uuid lowercase; the id passed isSessionId, so this is that text.
		id: rotation.sessionId.toLowerCase(),
		subject: row[1] as string,
		device: row[2] as string | null,
		claims: jsonOrNull(row[3]),
		mode: row[4] as SessionRecord["mode"],
		familyHash: bytes(row[5]),
		tokenHash: rotation.successorHash,
		previousHash: rotation.presentedHash,
		sealedSuccessor: rotation.sealedSuccessor,
		rotatedAt: rotation.now,
		generation: row[6] as number,
		createdAt: date(row[7]),
		lastUsedAt: rotation.now,
		expiresAt: sooner(rotation.idleExpiresAt, absoluteExpiresAt),
		absoluteExpiresAt,
		revokedAt: null,
	};
}

function bytes(value: unknown): Uint8Array {
	return plainBytes(value as Uint8Array);
}

function bytesOrNull(value: unknown): Uint8Array | null {
	return value === null ? null : bytes(value);
}

/** timestamptz: both drivers hand Drizzle the server's text (Drizzle turns their date parsers off). */
function date(value: unknown): Date {
	return typeof value === "string" ? new Date(value) : (value as Date);
}

function dateOrNull(value: unknown): Date | null {
	return value === null ? null : date(value);
}

/** jsonb: parsed by both drivers; a string only if the app's client was told not to. */
function jsonOrNull(value: unknown): Record<string, unknown> | null {
	return typeof value === "string" ? (JSON.parse(value) as Record<string, unknown>) : ((value ?? null) as Record<string, unknown> | null);
}

function iso(date: Date): string {
	return date.toISOString();
}

function isoOrNull(date: Date | null): string | null {
	return date === null ? null : date.toISOString();
}

/** The SQLSTATE of a driver error, also when Drizzle wrapped it (DrizzleQueryError.cause). */
export function sqlState(error: unknown): string | undefined {
	for (let current = error, depth = 0; typeof current === "object" && current !== null && depth < 5; depth++) {
		const code = (current as { code?: unknown }).code;
		if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}

async function withRetries<T>(retries: number, operation: () => Promise<T>): Promise<T> {
	for (let attempt = 0; ; attempt++) {
		try {
			return await operation();
		} catch (error) {
			const state = sqlState(error);
			if (attempt >= retries || state === undefined || !RETRYABLE_STATES.has(state)) throw error;
			// Jittered backoff so that the transactions that collided do not collide again.
			await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** attempt));
		}
	}
}
