// The public types of `refresh-kit/testing`.
import type { TokenStore } from "../core/port.js";

/**
 * A store under test with what the suite may do to it. Return this from `open` instead of a
 * bare store when you can empty the store: the suite then calls `reset()` before every case
 * and checks `prune` counts exactly.
 */
export interface StoreFixture {
	store: TokenStore;
	/**
	 * Empties the store (every session deleted). Called before every case. Without it the
	 * cases share one store; each case uses fresh random ids and subjects, so only the `prune`
	 * cases are affected: they then check bounds (each batch within its limit, every dead
	 * session of the case gone, every live one kept) instead of exact counts.
	 */
	reset?(): void | Promise<void>;
}

/**
 * Opens the store under test. Called once, lazily by the first case (so a failure to open
 * shows up as failed cases, never as a silently skipped suite). The suite never closes what
 * it returns: close it in your runner's "after all" hook, or once the promise settles.
 */
export type OpenTokenStore = () => TokenStore | StoreFixture | Promise<TokenStore | StoreFixture>;

/**
 * A test runner's "register one test" function: node:test's `test`, uvu's `test` (or a
 * `suite()`), vitest's or bun's `it`/`test`. Called once per case, at registration time.
 */
export type RegisterTest = (name: string, run: () => Promise<void>) => unknown;

/** Options of {@link testTokenStore}. */
export interface TestTokenStoreOptions {
	/**
	 * Registers every case as its own test with this function instead of running them all in
	 * one promise. The cases must run one at a time, in order (the default of node:test, uvu
	 * and vitest; do not use vitest's `concurrent` for them).
	 */
	test?: RegisterTest;
	/** Parallel `rotateToken` calls presenting one hash in the race cases. Default 250. */
	races?: number;
}

/** What a case is given: the opened store, and whether it was emptied just before the case. */
export interface CaseContext {
	store: TokenStore;
	/** True when `reset()` emptied the store before this case: counts may be checked exactly. */
	isolated: boolean;
}

/** One named check of the contract. */
export interface ContractCase {
	name: string;
	run(context: CaseContext): Promise<void>;
}
