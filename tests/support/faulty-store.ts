/**
 * A fault-injecting {@link TokenStore} wrapper for reliability tests. Wraps any store (memory,
 * Drizzle on PostgreSQL) and makes its calls fail the ways a real database does:
 *
 * - `before`: the call fails before the real store is asked (connection refused, reset before
 *   the statement ran): nothing changed;
 * - `after`: the real call runs to completion (it committed) and then the answer is lost;
 * - `hang`: the call answers nothing for `hangMs` (longer than the service's `storeTimeout`).
 *   With `hangCommits` (default true) the real call then runs late, after the service gave up,
 *   like a statement stuck on a lock that commits once the lock is released; without it the
 *   call never reaches the store and its promise rejects after `hangMs`.
 *
 * Each call draws once from a seeded RNG: with probability `before`, `after` or `hang` (and
 * otherwise passes through), so a run with the same seed and the same call order injects the
 * same faults. `arm(method, fault)` forces the next call of one method instead. Every injected
 * fault is logged with the session id (or subject) it hit, so a test can tell which of its own
 * calls failed and how.
 *
 * ```ts
 * const store = faultyStore(memoryStore(), { seed: 42, before: 0.05, after: 0.05, hang: 0.01, hangMs: 300 });
 * const service = createTokenService({ store, storeTimeout: "200ms", … });
 * // … workload …
 * await store.drain(); // wait for late (hung) calls before checking the store
 * console.log(store.stats());
 * ```
 *
 * Not a suite: the runner only picks up `*.test.ts`.
 */
import { type SessionRecord, TOKEN_STORE_VERBS, type TokenStore, type TokenStoreVerb } from "../../core/port.js";

export type Fault = "before" | "after" | "hang";
export type StoreMethod = TokenStoreVerb;
export const STORE_METHODS: readonly StoreMethod[] = TOKEN_STORE_VERBS;

export interface FaultyStoreOptions {
	/** Seed of the RNG that decides each call's fault. Default 1. */
	seed?: number;
	/** Probability that a call fails before reaching the store. Default 0. */
	before?: number;
	/** Probability that a call commits and then loses its answer. Default 0. */
	after?: number;
	/** Probability that a call hangs for `hangMs`. Default 0. */
	hang?: number;
	/** How long a hang lasts. Default 300 ms. */
	hangMs?: number;
	/** Whether a hung call runs against the store after the hang (a late commit). Default true. */
	hangCommits?: boolean;
	/** The methods that may fault. Default: every method. */
	methods?: readonly StoreMethod[];
}

export interface InjectedFault {
	/** Running number of the store call (0-based, over all methods). */
	call: number;
	method: StoreMethod;
	fault: Fault;
	/** The session id the call concerned, when it names one. */
	sessionId: string | null;
	/** The subject the call concerned (createSession, revokeSubject, …), when it names one. */
	subject: string | null;
	/** For `after` and committed hangs: whether the real call succeeded (it may itself fail). */
	committed: boolean | null;
}

export interface FaultStats {
	calls: number;
	callsByMethod: Partial<Record<StoreMethod, number>>;
	before: number;
	after: number;
	hang: number;
	byMethod: Partial<Record<StoreMethod, Partial<Record<Fault, number>>>>;
}

export interface FaultyStore extends TokenStore {
	/** Every fault injected so far, in order. */
	readonly faults: readonly InjectedFault[];
	/** Number of store calls so far (faulty or not). */
	readonly calls: number;
	/** Forces the next call of `method` to fail with `fault` (overrides the RNG for that call). */
	arm(method: StoreMethod, fault: Fault): void;
	/** Turns random injection off (armed faults still fire) or back on. */
	setEnabled(enabled: boolean): void;
	/** Resolves once every late (hung) call has finished. */
	drain(): Promise<void>;
	stats(): FaultStats;
}

/** Mulberry32: a small, fast, seedable PRNG; good enough to pick faults reproducibly. */
export function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return function next(): number {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** The error a faulty call throws; the service wraps it as ERR_STORE_UNAVAILABLE. */
export class InjectedStoreError extends Error {
	constructor(
		readonly method: StoreMethod,
		readonly fault: Fault,
	) {
		super(`${method}: injected ${fault === "before" ? "failure before the call" : fault === "after" ? "lost answer after commit" : "hang"}`);
		this.name = "InjectedStoreError";
	}
}

/** Wraps `inner` so that its calls fail as `options` says. See the module comment. */
export function faultyStore(inner: TokenStore, options: FaultyStoreOptions = {}): FaultyStore {
	const random = seededRandom(options.seed ?? 1);
	const pBefore = options.before ?? 0;
	const pAfter = options.after ?? 0;
	const pHang = options.hang ?? 0;
	if (pBefore < 0 || pAfter < 0 || pHang < 0 || pBefore + pAfter + pHang > 1) throw new RangeError("faultyStore: probabilities must be >= 0 and sum to at most 1");
	const hangMs = options.hangMs ?? 300;
	const hangCommits = options.hangCommits ?? true;
	const eligible = new Set<StoreMethod>(options.methods ?? STORE_METHODS);
	const armed = new Map<StoreMethod, Fault>();
	const faults: InjectedFault[] = [];
	const late = new Set<Promise<unknown>>();
	const callsByMethod: Partial<Record<StoreMethod, number>> = {};
	let calls = 0;
	let enabled = true;

	function pick(method: StoreMethod): Fault | null {
		const forced = armed.get(method);
		if (forced !== undefined) {
			armed.delete(method);
			return forced;
		}
		// Draw for every call, eligible or not, so that the sequence of faults depends only on
		// the seed and the order of calls.
		const draw = random();
		if (!enabled || !eligible.has(method)) return null;
		if (draw < pBefore) return "before";
		if (draw < pBefore + pAfter) return "after";
		if (draw < pBefore + pAfter + pHang) return "hang";
		return null;
	}

	function wrap(method: StoreMethod): (...args: unknown[]) => Promise<unknown> {
		const real = (inner[method] as (...args: unknown[]) => Promise<unknown>).bind(inner);
		return async function faultyCall(...args: unknown[]): Promise<unknown> {
			const call = calls++;
			callsByMethod[method] = (callsByMethod[method] ?? 0) + 1;
			const fault = pick(method);
			if (fault === null) return real(...args);
			const record: InjectedFault = { call, method, fault, ...concerns(method, args), committed: null };
			faults.push(record);
			if (fault === "before") throw new InjectedStoreError(method, fault);
			if (fault === "after") {
				try {
					await real(...args);
					record.committed = true;
				} catch {
					record.committed = false;
				}
				throw new InjectedStoreError(method, fault);
			}
			// A hang: nothing for hangMs, then (maybe) the real call, whose answer nobody awaits any more.
			const delayed = new Promise<void>((resolve) => setTimeout(resolve, hangMs)).then(async () => {
				if (!hangCommits) throw new InjectedStoreError(method, fault);
				try {
					const result = await real(...args);
					record.committed = true;
					return result;
				} catch (error) {
					record.committed = false;
					throw error;
				}
			});
			const tracked = delayed.catch(() => undefined).finally(() => late.delete(tracked));
			late.add(tracked);
			return delayed;
		};
	}

	const store = {
		guarantees: inner.guarantees,
		get faults(): readonly InjectedFault[] {
			return faults;
		},
		get calls(): number {
			return calls;
		},
		arm(method: StoreMethod, fault: Fault): void {
			armed.set(method, fault);
		},
		setEnabled(value: boolean): void {
			enabled = value;
		},
		async drain(): Promise<void> {
			while (late.size > 0) await Promise.all([...late]);
		},
		stats(): FaultStats {
			const byMethod: FaultStats["byMethod"] = {};
			for (const { method, fault } of faults) {
				byMethod[method] ??= {};
				const counts = byMethod[method];
				counts[fault] = (counts[fault] ?? 0) + 1;
			}
			return {
				calls,
				callsByMethod: { ...callsByMethod },
				before: faults.filter((f) => f.fault === "before").length,
				after: faults.filter((f) => f.fault === "after").length,
				hang: faults.filter((f) => f.fault === "hang").length,
				byMethod,
			};
		},
	} as Record<string, unknown>;
	for (const method of STORE_METHODS) store[method] = wrap(method);
	return store as unknown as FaultyStore;
}

/** The session id or subject a store call is about, for the fault log. */
function concerns(method: StoreMethod, args: unknown[]): { sessionId: string | null; subject: string | null } {
	const [first] = args;
	switch (method) {
		case "createSession":
		case "openReusableSession": {
			const session = first as SessionRecord;
			return { sessionId: session.id, subject: session.subject };
		}
		case "rotateToken":
		case "touchSession":
			return { sessionId: (first as { sessionId: string }).sessionId, subject: null };
		case "findSession":
		case "revokeSession":
			return { sessionId: first as string, subject: null };
		case "revokeSubject":
		case "listSessions":
			return { sessionId: null, subject: first as string };
		default:
			return { sessionId: null, subject: null };
	}
}
