// The store: the port's verbs over the prepared statements (statements.ts), reading their rows
// with the generated readers (columns.ts) and retrying through the driver glue (driver.ts).
import { TokenError } from "../../core/errors.js";
import type { PruneBatch, RotationResult, SessionRecord, SessionTouch, TokenRotation, TokenStore } from "../../core/port.js";
import { isSessionId } from "../../core/session.js";
import { createRotationBatcher, type RotationBatchOptions, resolveBatchOptions } from "./batch.js";
import { batchParams, builtRowRecord, iso, isoOrNull, readRotatedSession, readSession, sessionParams } from "./columns.js";
import { assertSupportedDatabase, connectionCount, type DrizzleDatabase, withRetries } from "./driver.js";
import { prepareStatements, reusableLoginStatements } from "./statements.js";

/** Options of {@link drizzleStore}. */
export interface DrizzleStoreOptions {
	/**
	 * How many times a statement that PostgreSQL aborted with a serialization failure (40001)
	 * or a deadlock (40P01) is run again before the error reaches the caller. Such a statement
	 * changed nothing, so running it again is safe. Default 5.
	 */
	retries?: number;
	/**
	 * Rotation batching. While fewer rotation statements are in flight than the pool has
	 * connections, each exchange is sent at once, as without batching; beyond that, the exchanges
	 * that arrive while they wait are rotated by one statement and one round trip, each caller
	 * still getting exactly its own answer, with the same grace, reuse and lifetime rules. A
	 * statement that fails fails every rotation in it (the service answers each with
	 * `ERR_STORE_UNAVAILABLE`, and a retry with the same token is safe) and changes nothing.
	 * `true` for the defaults ({@link RotationBatchOptions}), `false` for one statement per
	 * rotation. Default: `true`.
	 */
	batch?: RotationBatchOptions | boolean;
}

/**
 * The PostgreSQL {@link TokenStore}: one row per session in `refresh_kit_sessions`.
 *
 * The happy-path exchange is one prepared statement: an `UPDATE … RETURNING` that consumes the
 * presented token only if it is current and the session live, and in the same statement the
 * current row when it did not, so grace and reuse need no extra round trip. Under load,
 * concurrent exchanges share such a statement (the `batch` option). Serialization
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
/** A rotation statement's answer row: the "rotated" flag at `at - 1`, then the session's columns from `at`. */
function readRotation(row: readonly unknown[], at: number, rotation: TokenRotation): RotationResult {
	return row[at - 1] === true ? { rotated: true, session: readRotatedSession(row, at, rotation) } : { rotated: false, session: readSession(row, at) };
}

export function drizzleStore(db: DrizzleDatabase, options: DrizzleStoreOptions = {}): TokenStore {
	assertSupportedDatabase(db);
	const retries = options.retries ?? 5;
	if (!Number.isSafeInteger(retries) || retries < 0) throw new TokenError("ERR_CONFIG_INVALID", "drizzleStore: retries must be a non-negative integer");
	const batch = resolveBatchOptions(options.batch, connectionCount(db));
	if (batch === "invalid") throw new TokenError("ERR_CONFIG_INVALID", "drizzleStore: batch must be a boolean or { maxInFlight: 1 to 1000, maxSize: 1 to 1000, waitMs: 0 to 1000, maxHoldMs: 1 to 60000 }");
	const q = prepareStatements(db);

	function retrying<T>(operation: () => Promise<T>): Promise<T> {
		return withRetries(retries, operation);
	}

	async function rotateOne(rotation: TokenRotation): Promise<RotationResult> {
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
		return readRotation(row, 1, rotation);
	}

	async function rotateMany(rotations: readonly TokenRotation[]): Promise<RotationResult[]> {
		const rows = await retrying(() => q.rotateBatch.execute(batchParams(rotations)));
		const results = rotations.map((): RotationResult => ({ rotated: false, session: null }));
		for (const row of rows) {
			const index = (row[0] as number) - 1;
			const rotation = rotations[index] as TokenRotation;
			results[index] = readRotation(row, 2, rotation);
		}
		return results;
	}

	const rotate = batch === null ? rotateOne : createRotationBatcher(batch, { one: rotateOne, many: rotateMany });

	return {
		guarantees: { atomicRotation: true },

		async createSession(session: SessionRecord): Promise<void> {
			await retrying(() => q.create.execute(sessionParams(session)));
		},

		async openReusableSession(session: SessionRecord): Promise<SessionRecord> {
			const lookup = { subject: session.subject, device: session.device, now: iso(session.createdAt) };
			// Fast path, one statement: the returning user whose session is live.
			const [live] = await retrying(() => q.findReusable.execute(lookup));
			if (live !== undefined) return builtRowRecord(live);
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
						if (existing !== undefined) return builtRowRecord(existing);
						await statements.create.execute(sessionParams(session));
						return { ...session };
					},
					{ isolationLevel: "read committed" },
				),
			);
		},

		rotateToken(rotation: TokenRotation): Promise<RotationResult> {
			if (!isSessionId(rotation.sessionId)) return Promise.resolve({ rotated: false, session: null });
			return rotate(rotation);
		},

		async findSession(sessionId: string): Promise<SessionRecord | null> {
			if (!isSessionId(sessionId)) return null;
			const rows = await retrying(() => q.find.execute({ id: sessionId }));
			const row = rows[0];
			return row === undefined ? null : readSession(row, 0);
		},

		async touchSession(touch: SessionTouch): Promise<void> {
			if (!isSessionId(touch.sessionId)) return;
			await retrying(() => q.touch.execute({ id: touch.sessionId, now: iso(touch.now), idleExpiresAt: isoOrNull(touch.idleExpiresAt) }));
		},

		async revokeSession(sessionId: string, now: Date): Promise<SessionRecord | null> {
			if (!isSessionId(sessionId)) return null;
			const [row] = await retrying(() => q.revoke.execute({ id: sessionId, now: iso(now) }));
			return row === undefined ? null : builtRowRecord(row);
		},

		async revokeSubject(subject: string, now: Date): Promise<string[]> {
			const rows = await retrying(() => q.revokeSubject.execute({ subject, now: iso(now) }));
			return rows.map((row) => row.id);
		},

		async listSessions(subject: string, now: Date, limit: number): Promise<SessionRecord[]> {
			const rows = await retrying(() => q.list.execute({ subject, now: iso(now), limit }));
			return rows.map(builtRowRecord);
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
