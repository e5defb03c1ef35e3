// uvu runs a suite's before() hooks inside a try whose finally returns: an exception thrown by a
// hook is swallowed, the suite prints "(0 / N)" with no message and the run exits 0 (only a
// Total-vs-Passed count notices). guardedSuite is uvu's suite() with that hole closed: a failing
// before() hook is recorded and fails every test of the suite with the hook's message, so the
// run goes red and says why. Suites that open databases, servers or pools in before() use it.
// Not a suite itself (the runner only picks up *.test.ts); tests/support/suite.test.ts shows it.
import { type Callback, suite, type Test } from "uvu";

type Context = Record<string, unknown>;

/** The error every test of a guarded suite fails with after its before() hook threw. */
export class SuiteSetupError extends Error {
	constructor(suiteName: string, cause: unknown) {
		const message = cause instanceof Error ? cause.message : String(cause);
		super(`before() of suite "${suiteName}" failed, so this test did not run: ${message}`, { cause });
		this.name = "SuiteSetupError";
		// uvu prints the stack after the message: show where the hook failed, not this file.
		if (cause instanceof Error && cause.stack !== undefined) this.stack = `${this.name}: ${this.message}\n${cause.stack.split("\n").slice(1).join("\n")}`;
	}
}

/**
 * `suite(name)` from uvu whose `before()` hooks cannot fail silently: the first one that throws
 * stops the others, every test then fails with a {@link SuiteSetupError} carrying its message,
 * and errors of `after()` hooks that only clean up the half-opened state are not allowed to
 * hide it (they are printed instead of crashing the run).
 *
 * @example
 * ```ts
 * const test = guardedSuite("postgres: failures");
 * test.before(async () => {
 *   url = await createDatabase("rk_storage_failure"); // a failure here fails every test below
 * });
 * ```
 */
export function guardedSuite<T = Context>(name: string, state?: T): Test<T> {
	const test = suite<T>(name, state);
	const { before, after } = test;
	let failure: { error: unknown } | null = null;

	// Registered first, so it runs before any before.each() of the suite (which would use what
	// the failed hook should have opened).
	before.each(() => {
		if (failure !== null) throw new SuiteSetupError(name, failure.error);
	});

	const guardedBefore = function guardedBefore(hook: Callback<T>): void {
		before(async function guarded(context) {
			if (failure !== null) return;
			try {
				await hook(context);
			} catch (error) {
				failure = { error };
			}
		});
	} as Test<T>["before"];
	guardedBefore.each = before.each;

	const guardedAfter = function guardedAfter(hook: Callback<T>): void {
		after(async function guarded(context) {
			try {
				await hook(context);
			} catch (error) {
				if (failure === null) throw error;
				console.error(`  after() of suite "${name}" also failed (its before() had failed): ${error instanceof Error ? error.message : String(error)}`);
			}
		});
	} as Test<T>["after"];
	guardedAfter.each = after.each;

	test.before = guardedBefore;
	test.after = guardedAfter;
	return test;
}
