// refresh-kit/testing must fail broken stores, and say which property each one broke. The toy
// store (tests/examples/testing-package/toy-store.mjs, also what the packed-tarball e2e runs)
// passes the contract without flaws; each flaw must fail exactly the cases listed here.
import * as nodeAssert from "node:assert";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { TokenStore } from "../../core/port.js";
import { memoryStore } from "../../storage/memory/index.js";
import { testTokenStore } from "../../testing/index.js";
// biome-ignore lint/correctness/useImportExtensions: the module is an .mjs file; its name already has its extension.
import { FLAWS, type Flaw, toyStore } from "../examples/testing-package/toy-store.mjs";

const ATOMIC = "rotateToken race (atomic rotation): 250 parallel calls presenting one hash rotate exactly once";
const ACROSS_SESSIONS = "rotateToken race: 250 parallel calls across 10 sessions rotate each exactly once";
const TOMBSTONE = "prune tombstone: a live rotated session survives prune, and its previous hash is still recognised";

/** Each flaw, the cases it must fail (in contract order), and words of the property the first one names. */
const CAUGHT: Record<Flaw, { cases: string[]; property: RegExp }> = {
	"check-then-write rotation": {
		cases: [ATOMIC, ACROSS_SESSIONS],
		property: /exactly one may rotate: the check and the write must be one atomic step/,
	},
	"rotation ignores presentedHash": {
		cases: [
			"rotateToken: presenting any other hash changes nothing and returns the current view",
			"rotateToken: presenting the previous hash after a rotation is not rotated; the view shows previousHash",
			"rotateToken: chains; each successor can be presented once, in order",
			ATOMIC,
			ACROSS_SESSIONS,
			TOMBSTONE,
		],
		property: /a hash that is not the session's tokenHash must not rotate/,
	},
	"rotation ignores expiry": {
		cases: ["rotateToken: expired at expiresAt, live 1 ms before (expiry boundary exact)"],
		property: /now === expiresAt must not rotate/,
	},
	"rotation ignores absoluteExpiresAt": {
		cases: ["rotateToken: caps the new expiry at absoluteExpiresAt and never moves absoluteExpiresAt"],
		property: /expiresAt to the sooner of idleExpiresAt .* and absoluteExpiresAt/,
	},
	"prune deletes idle live sessions": {
		cases: [
			"prune: deletes sessions revoked or expired at or before `before`, and nothing live",
			"prune: respects the limit and drains in batches, never touching live sessions",
			"prune race: 8 parallel calls delete each dead session once in total",
			"prune keeps a session whose expiry a rotation or a touch moved past `before`, and takes it once it dies",
			TOMBSTONE,
		],
		property: /prune never touches a session still live/,
	},
	"listSessions ignores limit": {
		cases: ["listSessions: honours limit, after leaving out dead sessions, oldest first by createdAt then id"],
		property: /returns the first 1 live sessions, ordered by createdAt then id/,
	},
};

/** The AggregateError the contract rejected with (fails the test when it resolved). */
async function failure(run: Promise<void>): Promise<AggregateError> {
	try {
		await run;
	} catch (error) {
		assert.instance(error, AggregateError);
		return error as AggregateError;
	}
	assert.unreachable("the contract passed a broken store");
	throw new Error("unreachable");
}

/** The case names of an aggregate's errors (each message is "<case>: <property>…"). */
function failedCases(error: AggregateError, cases: readonly string[]): string[] {
	return error.errors.map((each: Error) => cases.find((name) => each.message.startsWith(`${name}: `)) ?? `unnamed: ${each.message}`);
}

const test = suite("refresh-kit/testing fails broken stores");

test("the toy store without flaws passes (so each failure below is its flaw's)", async () => {
	await testTokenStore("toy store", () => toyStore());
});

for (const flaw of FLAWS) {
	test(`a store whose flaw is "${flaw}" fails the cases that name it`, async () => {
		const { cases, property } = CAUGHT[flaw];
		const error = await failure(testTokenStore("toy store", () => toyStore({ flaws: [flaw] })));
		assert.equal(failedCases(error, cases), cases);
		assert.match(error.message, `toy store: ${cases.length} of `);
		for (const name of cases) assert.match(error.message, `\n  - ${name}: `, "the aggregate message lists every failed case");
		assert.match(error.message, property);
		const first = error.errors[0] as Error;
		assert.instance(first.cause, nodeAssert.AssertionError, "each failure carries node:assert's AssertionError as its cause");
		assert.match(first.message, /expected: .*\n.*actual: /s);
	});
}

test("a store that does not declare guarantees.atomicRotation fails the guarantees case only", async () => {
	const store = { ...memoryStore(), guarantees: {} } as unknown as TokenStore;
	const error = await failure(testTokenStore("undeclared", () => store));
	assert.equal(
		error.errors.map((each: Error) => each.message.split(":")[0]),
		["guarantees"],
	);
	assert.match(error.message, /declares guarantees\.atomicRotation === true/);
});

test("a store missing a verb fails the port case, naming the verb", async () => {
	const { touchSession: _, ...incomplete } = memoryStore();
	const error = await failure(testTokenStore("incomplete", () => incomplete as unknown as TokenStore));
	assert.match((error.errors[0] as Error).message, /^port: every verb of TokenStore is a function: .*\n.*actual: +\["touchSession"\]/s);
});

test("open() that fails rejects once, saying no case ran", async () => {
	try {
		await testTokenStore("unreachable db", () => Promise.reject(new Error("connection refused")));
		assert.unreachable("resolved");
	} catch (error) {
		assert.not.instance(error, AggregateError);
		assert.match((error as Error).message, "unreachable db: open() failed, no contract case ran: connection refused");
	}
});

test("with options.test each case is registered under `${name}: ${case}` and fails on its own", async () => {
	const registered: [string, () => Promise<void>][] = [];
	const returned = testTokenStore("racy", () => toyStore({ flaws: ["check-then-write rotation"] }), { races: 20, test: (name, run) => registered.push([name, run]) });
	assert.is(registered.length, 36, "registered at once, before the promise settles");
	await returned;
	// Cases run one at a time, as a runner runs them.
	const failed: string[] = [];
	for (const [name, run] of registered) {
		await run().catch((error: unknown) => {
			assert.instance(error, nodeAssert.AssertionError);
			failed.push(name);
		});
	}
	assert.equal(failed, ["racy: rotateToken race (atomic rotation): 20 parallel calls presenting one hash rotate exactly once", "racy: rotateToken race: 20 parallel calls across 10 sessions rotate each exactly once"]);
});

test("options.races below 2 is refused", () => {
	assert.throws(() => testTokenStore("x", () => memoryStore(), { races: 1 }), RangeError);
});

test.run();
