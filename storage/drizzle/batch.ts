// Rotation batching: exchanges that arrive within one short window are rotated by one statement
// (one round trip, one commit) instead of one each, while every caller still gets exactly its own
// RotationResult. The statement and the reading of its rows are the store's (statements.ts,
// store.ts); this module only decides which rotations go together and hands each caller its answer.
import { constantTimeEqual } from "../../core/crypto.js";
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
	/**
	 * How long a statement that has not answered keeps back the later rotations of its sessions
	 * and its place among `maxInFlight`, in ms. Past it they go without waiting for its answer (as
	 * they would without batching; the service handles the overlap), so one statement stuck on a
	 * connection that is being re-established cannot hold a session's retries past `reuseGrace`.
	 * Default 1000.
	 */
	maxHoldMs?: number;
}

export interface ResolvedBatchOptions {
	maxInFlight: number;
	maxSize: number;
	waitMs: number;
	maxHoldMs: number;
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
	const { maxInFlight = connections, maxSize = 64, waitMs = 0, maxHoldMs = 1000 } = option === true || option === undefined ? {} : option;
	if (!Number.isSafeInteger(maxInFlight) || maxInFlight < 1 || maxInFlight > 1000) return "invalid";
	if (!Number.isSafeInteger(maxSize) || maxSize < 1 || maxSize > 1000) return "invalid";
	if (typeof waitMs !== "number" || !Number.isFinite(waitMs) || waitMs < 0 || waitMs > 1000) return "invalid";
	if (typeof maxHoldMs !== "number" || !Number.isFinite(maxHoldMs) || maxHoldMs < 1 || maxHoldMs > 60_000) return "invalid";
	return { maxInFlight, maxSize, waitMs, maxHoldMs };
}

/**
 * A `rotateToken` that batches, with the semantics of the rotations sent one after the other.
 *
 * Of one session, at most one rotation per statement may rotate it: the first held one that
 * presents the session's current token hash as the last answer showed it (or any, when no answer
 * has shown it yet). The rotations held before it present a retired hash and cannot rotate, so
 * they go in the same statement and read the session as it was just before it, as they would
 * have if sent first; the ones after it wait for its answer. So a burst of N exchanges of one
 * token (server-side rendering fan-out, several tabs) costs two statements, one after the other:
 * the first rotates, and the other N-1 then share one and all get the grace window's answer.
 * Rows are sent in session-id order, so two batches on different connections usually lock shared
 * rows in the same order (statements.ts).
 */
export function createRotationBatcher(options: ResolvedBatchOptions, run: BatchRunners): (rotation: TokenRotation) => Promise<RotationResult> {
	let waiting: Waiting[] = [];
	let scheduled = false;
	let statements = 0;
	/** Sessions with a rotation in a statement that still holds them (not answered, not past maxHoldMs). */
	const inFlight = new Set<string>();
	/**
	 * The current token hash of a session as the last answer about it showed it, kept only while
	 * rotations of it are held or in flight. Only a guess (another process may rotate the
	 * session): a wrong guess costs a statement or a retry in the service, never a wrong answer,
	 * since the statement itself checks the hash.
	 */
	const lastSeen = new Map<string, Uint8Array>();

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
			/** Sessions of this statement whose later rotations must wait for its answer. */
			const closed = new Set<string>();
			const taken = new Set<string>();
			for (const entry of waiting) {
				if (batch.length >= options.maxSize || inFlight.has(entry.key) || closed.has(entry.key)) {
					held.push(entry);
					continue;
				}
				const current = lastSeen.get(entry.key);
				if (current === undefined || constantTimeEqual(entry.rotation.presentedHash, current)) closed.add(entry.key);
				batch.push(entry);
				taken.add(entry.key);
			}
			waiting = held;
			if (batch.length === 0) return;
			for (const key of taken) inFlight.add(key);
			statements++;
			let holding = true;
			/** Frees the statement's slot and its sessions (once: at its answer, or at maxHoldMs). */
			function letGo(): void {
				if (!holding) return;
				holding = false;
				statements--;
				for (const key of taken) inFlight.delete(key);
			}
			const timer = setTimeout(function heldTooLong(): void {
				letGo();
				if (waiting.length > 0) flush();
			}, options.maxHoldMs);
			// Node: a pending hold must not keep the process alive (other runtimes return a number).
			(timer as { unref?: () => void }).unref?.();
			void execute(batch).finally(function settled(): void {
				clearTimeout(timer);
				letGo();
				forgetIdle(taken);
				if (waiting.length > 0) flush();
			});
		}
	}

	/** Drops what is known of sessions that have nothing held any more. */
	function forgetIdle(keys: Set<string>): void {
		const held = new Set(waiting.map((entry) => entry.key));
		for (const key of keys) if (!held.has(key)) lastSeen.delete(key);
	}

	/** Records each session's token hash after the statement: a rotation's successor, else the view it read. */
	function learn(batch: readonly Waiting[], results: readonly RotationResult[]): void {
		const rotated = new Set<string>();
		for (let i = 0; i < batch.length; i++) {
			const result = results[i] as RotationResult;
			if (!result.rotated) continue;
			rotated.add((batch[i] as Waiting).key);
			lastSeen.set((batch[i] as Waiting).key, result.session.tokenHash);
		}
		for (let i = 0; i < batch.length; i++) {
			const key = (batch[i] as Waiting).key;
			const session = (results[i] as RotationResult).session;
			if (session !== null && !rotated.has(key)) lastSeen.set(key, session.tokenHash);
		}
	}

	async function execute(batch: Waiting[]): Promise<void> {
		try {
			// Stable: the rows of one session keep their order.
			if (batch.length > 1) batch.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
			const results = batch.length === 1 ? [await run.one((batch[0] as Waiting).rotation)] : await run.many(batch.map((entry) => entry.rotation));
			learn(batch, results);
			for (let i = 0; i < batch.length; i++) (batch[i] as Waiting).resolve(results[i] as RotationResult);
		} catch (error) {
			// One statement: it failed as a whole, so every caller fails alike (the service reports
			// ERR_STORE_UNAVAILABLE, and retrying with the same token is safe). It may have
			// committed before the answer was lost, so nothing is assumed about its sessions.
			for (const entry of batch) lastSeen.delete(entry.key);
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
