// testTokenStore: opens the store once, then runs the contract's cases, either all in one
// promise (any runner, or none) or each registered with the runner's own test function.
import type { TokenStore } from "../core/port.js";
import { pruneCases } from "./prune.js";
import { revocationCases } from "./revocation.js";
import { rotationCases } from "./rotation.js";
import { sessionCases } from "./sessions.js";
import type { CaseContext, ContractCase, OpenTokenStore, StoreFixture, TestTokenStoreOptions } from "./types.js";

const DEFAULT_RACES = 250;

/** Every case of the contract, in the order they run. */
export function contractCases(options: { races: number }): ContractCase[] {
	return [...sessionCases(options), ...rotationCases(options), ...revocationCases(), ...pruneCases()];
}

function isStore(value: TokenStore | StoreFixture): value is TokenStore {
	return typeof (value as Partial<TokenStore>).rotateToken === "function";
}

/** Opens the store on first use; every later call gets the same fixture (or the same failure). */
function lazyFixture(open: OpenTokenStore): () => Promise<StoreFixture> {
	let opened: Promise<StoreFixture> | null = null;
	return function fixture(): Promise<StoreFixture> {
		opened ??= (async () => {
			const value = await open();
			if (value === null || typeof value !== "object") throw new TypeError("testTokenStore: open() must return a TokenStore or { store, reset? }");
			return isStore(value) ? { store: value } : value;
		})();
		return opened;
	};
}

/** A case's run with the fixture opened (and reset, when it can be) first. */
function prepared(fixture: () => Promise<StoreFixture>, contractCase: ContractCase): () => Promise<void> {
	return async function runCase(): Promise<void> {
		const opened = await fixture();
		if (opened.reset !== undefined) await opened.reset();
		// Read after reset: a fixture may hand out a new store from reset (a getter).
		const context: CaseContext = { store: opened.store, isolated: opened.reset !== undefined };
		await contractCase.run(context);
	};
}

/** Why a case failed, in one line for the aggregate message. */
function reason(error: unknown): string {
	const message = error instanceof Error ? error.message : String(error);
	return message.split("\n")[0] ?? message;
}

/**
 * Runs the refresh-kit storage contract against a {@link TokenStore}: the per-verb semantics
 * documented on the port, their boundaries to the millisecond, and the races (by default 250
 * parallel `rotateToken` calls presenting one hash must rotate exactly once). It talks to the
 * store only through the port, uses fresh random ids, subjects and hashes in every case,
 * passes every `now` explicitly, and asserts with `node:assert` (which Node, Bun, Deno and
 * vitest all provide), so it runs under any test runner.
 *
 * - Without `options.test` it returns a promise that runs every case one after another and
 *   rejects with an `AggregateError` whose message names each failed case and the property it
 *   broke (`errors` holds one `Error` per failed case, the assertion as its `cause`). Await it
 *   inside one test of your runner, or at the top of a plain script.
 * - With `options.test` (node:test's `test`, uvu's `test`, vitest's `it`) it registers each case
 *   as its own test named `${name}: ${case}` and resolves at once; your runner reports them.
 *
 * `open` is called once, by the first case. Give it a `reset()` (return `{ store, reset }`) when
 * you can empty the store: it runs before every case and lets the `prune` cases check exact
 * counts. The suite never closes the store: do that in your runner's "after all" hook.
 *
 * @example node:test (each case its own test)
 * ```ts
 * import { after, test } from "node:test";
 * import { testTokenStore } from "refresh-kit/testing";
 *
 * const db = await connect();
 * after(() => db.close());
 * testTokenStore("my store", () => ({ store: myStore(db), reset: () => db.truncate() }), { test });
 * ```
 *
 * @example vitest (or one test that runs every case)
 * ```ts
 * import { it } from "vitest";
 * import { testTokenStore } from "refresh-kit/testing";
 *
 * it("passes the refresh-kit store contract", () => testTokenStore("my store", () => myStore()), 60_000);
 * // or each case its own test, with a longer timeout for the races:
 * testTokenStore("my store", () => myStore(), { test: (name, run) => it(name, run, 30_000) });
 * ```
 *
 * @example uvu
 * ```ts
 * import { suite } from "uvu";
 * import { testTokenStore } from "refresh-kit/testing";
 *
 * const test = suite("my store");
 * testTokenStore("my store", () => myStore(), { test });
 * test.run();
 * ```
 */
export function testTokenStore(name: string, open: OpenTokenStore, options: TestTokenStoreOptions = {}): Promise<void> {
	const races = options.races ?? DEFAULT_RACES;
	if (!Number.isInteger(races) || races < 2) throw new RangeError("testTokenStore: options.races must be an integer of at least 2");
	const fixture = lazyFixture(open);
	const cases = contractCases({ races });
	const register = options.test;
	if (register !== undefined) {
		for (const contractCase of cases) register(`${name}: ${contractCase.name}`, prepared(fixture, contractCase));
		return Promise.resolve();
	}
	return runAll(name, fixture, cases);
}

async function runAll(name: string, fixture: () => Promise<StoreFixture>, cases: readonly ContractCase[]): Promise<void> {
	try {
		await fixture();
	} catch (error) {
		throw new Error(`${name}: open() failed, no contract case ran: ${reason(error)}`, { cause: error });
	}
	const failures: Error[] = [];
	for (const contractCase of cases) {
		try {
			await prepared(fixture, contractCase)();
		} catch (error) {
			failures.push(new Error(`${contractCase.name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
		}
	}
	if (failures.length === 0) return;
	const list = failures.map((failure) => `  - ${reason(failure)}`).join("\n");
	throw new AggregateError(failures, `${name}: ${failures.length} of ${cases.length} store contract cases failed:\n${list}`);
}
