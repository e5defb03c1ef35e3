// Rotation batching: exchanges that arrive within one short window are rotated by one statement
// (one round trip, one commit) instead of one each, while every caller still gets exactly its own
// RotationResult. The statement and the reading of its rows are the store's (statements.ts,
// store.ts); this module only decides which rotations go together and hands each caller its answer.
import type { RotationResult, TokenRotation } from "../../core/port.js";

/** The `batch` option of {@link drizzleStore}. */
export interface RotationBatchOptions {
	/**
	 * The most rotation statements in flight at once. While fewer are, a rotation is sent at once
	 * (with the others of the same tick), so a lightly loaded store adds no latency; beyond it,
	 * rotations wait for a statement to answer and then go together in one. Default: the
	 * connection pool's size (postgres.js `max`), 1 on PGlite.
	 */
	maxInFlight?: number;
	/** The most rotations in one statement. Default 64. */
	maxSize?: number;
	/**
	 * An extra wait before a statement is sent, in ms, for more rotations to join it even when the
	 * store is not busy. Default 0 (none). Timers have a granularity of about 1 ms, so a fraction
	 * of a millisecond waits about one.
	 */
	waitMs?: number;
}

export interface ResolvedBatchOptions {
	maxInFlight: number;
	maxSize: number;
	waitMs: number;
}

/** How a batch is executed: one rotation alone, or several in one statement (answers in input order). */
export interface BatchRunners {
	one(rotation: TokenRotation): Promise<RotationResult>;
	many(rotations: readonly TokenRotation[]): Promise<RotationResult[]>;
}

interface Waiting {
	rotation: TokenRotation;
	/** The session id as PostgreSQL prints it, so that two spellings of one id meet. */
	key: string;
	resolve(result: RotationResult): void;
	reject(error: unknown): void;
}

/**
 * The `batch` option with its defaults: null when batching is off, "invalid" when a value is out
 * of range (the store names the option in its error). `connections` is the pool's size.
 */
export function resolveBatchOptions(option: RotationBatchOptions | boolean | undefined, connections: number): ResolvedBatchOptions | null | "invalid" {
	if (option === false) return null;
	const { maxInFlight = connections, maxSize = 64, waitMs = 0 } = option === true || option === undefined ? {} : option;
	if (!Number.isSafeInteger(maxInFlight) || maxInFlight < 1 || maxInFlight > 1000) return "invalid";
	if (!Number.isSafeInteger(maxSize) || maxSize < 1 || maxSize > 1000) return "invalid";
	if (typeof waitMs !== "number" || !Number.isFinite(waitMs) || waitMs < 0 || waitMs > 1000) return "invalid";
	return { maxInFlight, maxSize, waitMs };
}

/**
 * A `rotateToken` that batches. Two rotations of one session never share a statement, and a
 * rotation waits while an earlier one of its session is in flight: it then runs in a later
 * statement and sees that rotation committed, exactly as two calls one after the other would
 * (the grace window, not a stale snapshot). Rows are sent in session-id order, so two batches on
 * different connections lock shared rows in the same order and cannot deadlock each other.
 */
export function createRotationBatcher(options: ResolvedBatchOptions, run: BatchRunners): (rotation: TokenRotation) => Promise<RotationResult> {
	let waiting: Waiting[] = [];
	let scheduled = false;
	let statements = 0;
	/** Sessions with a rotation in a statement that has not answered yet. */
	const inFlight = new Set<string>();

	function schedule(): void {
		if (scheduled) return;
		scheduled = true;
		if (options.waitMs === 0) queueMicrotask(flush);
		else setTimeout(flush, options.waitMs);
	}

	function flush(): void {
		scheduled = false;
		while (statements < options.maxInFlight && waiting.length > 0) {
			const batch: Waiting[] = [];
			const held: Waiting[] = [];
			const taken = new Set<string>();
			for (const entry of waiting) {
				if (batch.length < options.maxSize && !inFlight.has(entry.key) && !taken.has(entry.key)) {
					batch.push(entry);
					taken.add(entry.key);
				} else {
					held.push(entry);
				}
			}
			waiting = held;
			if (batch.length === 0) return;
			for (const key of taken) inFlight.add(key);
			statements++;
			void execute(batch).finally(function settled(): void {
				statements--;
				for (const key of taken) inFlight.delete(key);
				if (waiting.length > 0) flush();
			});
		}
	}

	async function execute(batch: Waiting[]): Promise<void> {
		try {
			if (batch.length === 1) {
				const only = batch[0] as Waiting;
				only.resolve(await run.one(only.rotation));
				return;
			}
			batch.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
			const results = await run.many(batch.map((entry) => entry.rotation));
			for (let i = 0; i < batch.length; i++) (batch[i] as Waiting).resolve(results[i] as RotationResult);
		} catch (error) {
			// One statement: it failed as a whole and changed nothing, so every caller fails alike
			// (the service reports ERR_STORE_UNAVAILABLE, and retrying with the same token is safe).
			for (const entry of batch) entry.reject(error);
		}
	}

	return function rotateBatched(rotation: TokenRotation): Promise<RotationResult> {
		return new Promise<RotationResult>((resolve, reject) => {
			waiting.push({ rotation, key: rotation.sessionId.toLowerCase(), resolve, reject });
			schedule();
		});
	};
}
