// The rotation batcher of the Drizzle store (storage/drizzle/batch.ts) on its own, over fake
// runners that record every statement: which rotations share a statement, what each caller
// gets back, and what a failed statement does. The SQL itself runs in the PGlite and PostgreSQL
// suites (drizzle-cases.ts, drizzle-batch.test.ts).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { RotationResult, TokenRotation } from "../../core/port.js";
import { createRotationBatcher, type ResolvedBatchOptions, resolveBatchOptions } from "../../storage/drizzle/batch.js";

const test = suite("rotation batcher");

function rotation(sessionId: string, fill = 1): TokenRotation {
	return { sessionId, presentedHash: new Uint8Array(32).fill(fill), successorHash: new Uint8Array(32).fill(fill + 1), sealedSuccessor: new Uint8Array(36), now: new Date(0), idleExpiresAt: null };
}

function id(n: number): string {
	return `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
}

/** Answers each rotation with a result naming it (never rotated). */
function naming(rotations: readonly TokenRotation[]): RotationResult[] {
	return rotations.map((r) => ({ rotated: false, session: { id: r.sessionId, presented: r.presentedHash[0] } as never }));
}

/**
 * Answers as the store's statement does, for sessions that all start with token hash fill 1: a
 * rotation presenting the current hash rotates to its successor (at most once per session per
 * statement), and every other rotation reads the snapshot taken before the statement.
 */
function tinyStore(): (rotations: readonly TokenRotation[]) => RotationResult[] {
	const current = new Map<string, number>();
	return (rotations) => {
		const snapshot = new Map(current);
		const now = (id: string) => snapshot.get(id.toLowerCase()) ?? 1;
		return rotations.map((r) => {
			const key = r.sessionId.toLowerCase();
			if (r.presentedHash[0] === now(key) && current.get(key) === snapshot.get(key)) {
				current.set(key, r.successorHash[0] as number);
				return { rotated: true, session: { id: r.sessionId, tokenHash: r.successorHash } as never };
			}
			return { rotated: false, session: { id: r.sessionId, tokenHash: new Uint8Array(32).fill(now(key)) } as never };
		});
	};
}

/** What a fake answer says: which token hash (first byte) the caller saw, and whether it rotated. */
function seen(result: RotationResult): string {
	return `${result.rotated ? "rotated to" : "saw"} ${(result.session as unknown as { tokenHash: Uint8Array }).tokenHash[0]}`;
}

/** Runners that answer through `answer` (default {@link naming}), and hold every statement until released. */
function recorder(options: Partial<ResolvedBatchOptions> = {}, answerAll: (rotations: readonly TokenRotation[]) => RotationResult[] = naming) {
	const statements: string[][] = [];
	const open: Array<{ settle: () => void }> = [];
	let failNext: Error | null = null;
	function hold<T>(ids: string[], value: () => T): Promise<T> {
		statements.push(ids);
		const failure = failNext;
		failNext = null;
		return new Promise<T>((resolve, reject) => {
			open.push({ settle: () => (failure === null ? resolve(value()) : reject(failure)) });
		});
	}
	const rotate = createRotationBatcher(
		{ maxInFlight: 1, maxSize: 64, waitMs: 0, maxHoldMs: 60_000, ...options },
		{
			one: (r) => hold([r.sessionId], () => answerAll([r])[0] as RotationResult),
			many: (rs) =>
				hold(
					rs.map((r) => r.sessionId),
					() => answerAll(rs),
				),
		},
	);
	return {
		rotate,
		statements,
		/** Answers the oldest open statement and lets the batcher react. */
		async release(): Promise<void> {
			open.shift()?.settle();
			await new Promise((resolve) => setTimeout(resolve, 0));
		},
		failNextStatement(error: Error): void {
			failNext = error;
		},
	};
}

function tick(): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, 0));
}

test("a lone rotation goes at once, alone; those that arrive while the limit is reached share the next statement", async () => {
	const r = recorder();
	const first = r.rotate(rotation(id(1)));
	await tick();
	assert.equal(r.statements, [[id(1)]]);
	const rest = [3, 2, 4].map((n) => r.rotate(rotation(id(n), n)));
	await tick();
	assert.is(r.statements.length, 1, "nothing is sent while the one allowed statement is in flight");
	await r.release();
	// Sent in session-id order (shared rows are locked in one order by every batch).
	assert.equal(r.statements, [[id(1)], [id(2), id(3), id(4)]]);
	await r.release();
	const answers = await Promise.all([first, ...rest]);
	assert.equal(
		answers.map((a) => (a.session as unknown as { id: string; presented: number }).id),
		[id(1), id(3), id(2), id(4)],
		"every caller gets the answer to its own rotation",
	);
	assert.equal(
		answers.map((a) => (a.session as unknown as { presented: number }).presented),
		[1, 3, 2, 4],
	);
});

test("rotations started in the same tick share one statement even below the limit", async () => {
	const r = recorder({ maxInFlight: 4 });
	const all = [1, 2, 3].map((n) => r.rotate(rotation(id(n))));
	await tick();
	assert.equal(r.statements, [[id(1), id(2), id(3)]]);
	await r.release();
	assert.is((await Promise.all(all)).length, 3);
});

test("below the limit every later rotation gets its own statement at once (no added wait)", async () => {
	const r = recorder({ maxInFlight: 3 });
	const all: Promise<RotationResult>[] = [];
	for (const n of [1, 2, 3]) {
		all.push(r.rotate(rotation(id(n))));
		await tick();
	}
	assert.equal(r.statements, [[id(1)], [id(2)], [id(3)]]);
	all.push(r.rotate(rotation(id(4))));
	await tick();
	assert.is(r.statements.length, 3, "the fourth waits: three are in flight");
	await r.release();
	assert.equal(r.statements[3], [id(4)]);
	for (let i = 0; i < 3; i++) await r.release();
	assert.is((await Promise.all(all)).length, 4);
});

test("two rotations of one session never share a statement: the second waits for the first to answer", async () => {
	const r = recorder({ maxInFlight: 8 });
	const upper = id(7).toUpperCase();
	const all = [r.rotate(rotation(id(7), 1)), r.rotate(rotation(upper, 2)), r.rotate(rotation(id(8), 3))];
	await tick();
	assert.equal(r.statements, [[id(7), id(8)]], "the same session in another spelling is the same session");
	await r.release();
	assert.equal(r.statements[1], [upper], "sent only once the first rotation of its session answered");
	await r.release();
	const answers = await Promise.all(all);
	assert.equal(
		answers.map((a) => (a.session as unknown as { presented: number }).presented),
		[1, 2, 3],
	);
});

test("a burst of one token: the first rotation goes alone, then all the others in one statement (2 round trips, not 20)", async () => {
	const r = recorder({ maxInFlight: 1 }, tinyStore());
	const all = Array.from({ length: 20 }, (_, n) => r.rotate({ ...rotation(id(1)), successorHash: new Uint8Array(32).fill(10 + n) }));
	await tick();
	assert.equal(r.statements, [[id(1)]]);
	await r.release();
	assert.equal(
		r.statements[1],
		Array.from({ length: 19 }, () => id(1)),
		"none of the 19 can rotate: they go together",
	);
	await r.release();
	assert.is(r.statements.length, 2);
	assert.equal((await Promise.all(all)).map(seen), ["rotated to 10", ...Array.from({ length: 19 }, () => "saw 10")], "each sees the first one's rotation, as one after the other");
});

test("a session's rotations keep their order: those after one that may rotate it wait for its answer", async () => {
	const r = recorder({ maxInFlight: 1 }, tinyStore());
	const first = r.rotate(rotation(id(1), 1)); // 1 -> 2
	await tick();
	// While it is in flight: a replay of 1, a rotation of 2 (may rotate: 2 is current once the first
	// answers), another replay of 1 and another rotation of 2.
	const later = [1, 2, 1, 2].map((fill, n) => r.rotate({ ...rotation(id(1), fill), successorHash: new Uint8Array(32).fill(20 + n) }));
	await tick();
	await r.release();
	assert.is(r.statements[1]?.length, 2, "the replay before it and the rotation of 2; the two after it wait");
	await r.release();
	assert.is(r.statements[2]?.length, 2, "then the two after it together (neither can rotate now)");
	await r.release();
	assert.equal((await Promise.all([first, ...later])).map(seen), ["rotated to 2", "saw 2", "rotated to 21", "saw 21", "saw 21"]);
});

test("after a failed statement its sessions count as not seen: their next rotations go one at a time", async () => {
	const r = recorder({ maxInFlight: 1 }, tinyStore());
	const first = r.rotate(rotation(id(1), 1));
	await tick();
	const replays = [r.rotate(rotation(id(1), 1)), r.rotate(rotation(id(1), 1))];
	await tick();
	r.failNextStatement(new Error("connection reset"));
	await r.release(); // the first rotates 1 -> 2; both replays go together, in a statement that fails
	assert.equal(r.statements[1], [id(1), id(1)]);
	const more = [r.rotate(rotation(id(1), 1)), r.rotate(rotation(id(1), 1))];
	const settled = Promise.allSettled(replays);
	await r.release();
	assert.equal(
		(await settled).map((o) => o.status),
		["rejected", "rejected"],
	);
	// The failed statement may have committed before its answer was lost: nothing is assumed.
	assert.equal(r.statements.slice(2), [[id(1)]]);
	await r.release();
	assert.equal(r.statements.slice(3), [[id(1)]]);
	await r.release();
	assert.equal((await Promise.all([first, ...more])).map(seen), ["rotated to 2", "saw 2", "saw 2"]);
});

test("a failed statement fails every rotation in it, and only those", async () => {
	const r = recorder({ maxInFlight: 1 });
	const lone = r.rotate(rotation(id(1)));
	await tick();
	const batch = [2, 3, 4].map((n) => r.rotate(rotation(id(n))));
	const settled = Promise.allSettled([lone, ...batch]);
	r.failNextStatement(new Error("connection reset"));
	await r.release();
	await r.release();
	const outcomes = await settled;
	assert.equal(
		outcomes.map((o) => o.status),
		["fulfilled", "rejected", "rejected", "rejected"],
	);
	assert.ok(outcomes.slice(1).every((o) => (o as PromiseRejectedResult).reason.message === "connection reset"));
	// The batcher keeps working after a failure.
	const after = r.rotate(rotation(id(2)));
	await tick();
	await r.release();
	assert.is(((await after).session as unknown as { id: string }).id, id(2));
});

test("maxSize splits a crowd into several statements", async () => {
	const r = recorder({ maxInFlight: 2, maxSize: 3 });
	const all = Array.from({ length: 7 }, (_, n) => r.rotate(rotation(id(n + 1))));
	await tick();
	assert.equal(r.statements, [
		[id(1), id(2), id(3)],
		[id(4), id(5), id(6)],
	]);
	await r.release();
	assert.equal(r.statements[2], [id(7)]);
	await r.release();
	await r.release();
	assert.is((await Promise.all(all)).length, 7);
});

test("waitMs holds a statement for that long so that later rotations join it", async () => {
	const r = recorder({ maxInFlight: 4, waitMs: 20 });
	const all = [r.rotate(rotation(id(1)))];
	await tick();
	all.push(r.rotate(rotation(id(2))));
	assert.equal(r.statements, [], "nothing sent before the wait is over");
	await new Promise((resolve) => setTimeout(resolve, 40));
	assert.equal(r.statements, [[id(1), id(2)]]);
	await r.release();
	assert.is((await Promise.all(all)).length, 2);
});

test("a statement that does not answer within maxHoldMs stops holding back its session and its slot; its answer still reaches its caller", async () => {
	const r = recorder({ maxInFlight: 1, maxHoldMs: 30 }, tinyStore());
	const stuck = r.rotate(rotation(id(1), 1)); // 1 -> 2, on a connection that hangs
	await tick();
	const retry = r.rotate({ ...rotation(id(1), 1), successorHash: new Uint8Array(32).fill(7) });
	const other = r.rotate(rotation(id(2), 1));
	await tick();
	assert.equal(r.statements, [[id(1)]], "held while the first may still answer");
	await new Promise((resolve) => setTimeout(resolve, 60));
	assert.equal(r.statements.slice(1), [[id(1), id(2)]], "past maxHoldMs both go, without waiting for the stuck one");
	await r.release(); // the stuck one answers at last
	await r.release();
	assert.equal((await Promise.all([stuck, retry, other])).map(seen), ["rotated to 2", "saw 2", "rotated to 2"]);
});

test("options: defaults from the pool, and out-of-range values refused", () => {
	assert.equal(resolveBatchOptions(undefined, 10), { maxInFlight: 10, maxSize: 64, waitMs: 0, maxHoldMs: 1000 });
	assert.equal(resolveBatchOptions(true, 1), { maxInFlight: 1, maxSize: 64, waitMs: 0, maxHoldMs: 1000 });
	assert.is(resolveBatchOptions(false, 10), null);
	assert.equal(resolveBatchOptions({ maxInFlight: 3, maxSize: 5, waitMs: 0.5, maxHoldMs: 250 }, 10), { maxInFlight: 3, maxSize: 5, waitMs: 0.5, maxHoldMs: 250 });
	for (const bad of [{ maxInFlight: 0 }, { maxSize: 0 }, { maxSize: 1.5 }, { waitMs: -1 }, { waitMs: Number.NaN }, { maxInFlight: 1001 }, { maxHoldMs: 0 }, { maxHoldMs: 60_001 }]) {
		assert.is(resolveBatchOptions(bad, 10), "invalid", JSON.stringify(bad));
	}
});

test.run();
