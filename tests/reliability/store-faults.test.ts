// Reliability, scenario 1 (fast part): store faults under a mixed workload on the memory store.
// Faults are injected with tests/support/faulty-store.ts: before the call, after it committed
// (the answer is lost) and hangs past storeTimeout. The PostgreSQL run of the same workload is
// tests/reliability/store-faults-postgres.long.ts. tests/model/store-faults.test.ts covers
// single, hand-armed faults; this file runs many random ones at once, with concurrency.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createTokenService, type TokenEvent } from "../../core/index.js";
import { resolveOptions } from "../../core/options.js";
import { memoryStore } from "../../storage/memory/index.js";
import { manualClock, rejects, TEST_REFRESH_SECRET, TEST_SECRET } from "../helpers.js";
import { faultyStore, type InjectedFault, seededRandom } from "../support/faulty-store.js";
import { recordScenario } from "./lib/report.js";
import { runWorkload } from "./lib/workload.js";

const SERVICE = { keys: { secret: TEST_SECRET }, issuer: "https://auth.test", audience: "https://api.test", refresh: { secret: TEST_REFRESH_SECRET } } as const;
const test = suite("reliability: store faults (memory)");

test("the fault wrapper is reproducible: the same seed and calls inject the same faults", async () => {
	async function run(seed: number): Promise<string[]> {
		const store = faultyStore(memoryStore(), { seed, before: 0.2, after: 0.2, hang: 0.1, hangMs: 1 });
		const service = createTokenService({ ...SERVICE, store, storeTimeout: "200ms" });
		for (let i = 0; i < 40; i++) await service.issue({ subject: `s${i}` }).catch(() => undefined);
		await store.drain();
		return store.faults.map((fault: InjectedFault) => `${fault.call}:${fault.method}:${fault.fault}`);
	}
	const a = await run(7);
	assert.equal(await run(7), a);
	assert.ok(a.length > 10, `expected faults, got ${a.length}`);
	assert.not.equal(await run(8), a);
	// The draws match the configured rates roughly (40 calls, p = 0.5 in total).
	assert.ok(a.length < 35);
	assert.equal(seededRandom(1)(), seededRandom(1)());
});

test("storeTimeout: the documented default is 5 s; a store that never answers fails at 200 ms with nothing changed", async () => {
	assert.is(resolveOptions({ ...SERVICE, store: memoryStore() }).storeTimeoutMs, 5000);
	const inner = memoryStore();
	const store = faultyStore(inner, { hangMs: 300, hangCommits: false });
	const clock = manualClock();
	const service = createTokenService({ ...SERVICE, store, clock, storeTimeout: "200ms" });
	const a = await service.issue({ subject: "alice" });
	const before = await inner.findSession(a.sessionId);
	for (const method of ["rotateToken", "findSession", "createSession"] as const) {
		store.arm(method, "hang");
		const started = performance.now();
		const call = method === "rotateToken" ? service.exchange(a.refreshToken) : method === "findSession" ? service.revoke(a.refreshToken) : service.issue({ subject: "bob" });
		await rejects(call, "ERR_STORE_UNAVAILABLE");
		const elapsed = performance.now() - started;
		assert.ok(elapsed >= 195 && elapsed < 1500, `${method}: failed after ${elapsed.toFixed(0)} ms, expected about 200`);
	}
	await store.drain();
	assert.equal(await inner.findSession(a.sessionId), before);
	assert.equal(await inner.listSessions("bob", clock.now(), 1000), []);
	const b = await service.exchange(a.refreshToken);
	assert.is(b.sessionId, a.sessionId);
});

test("mixed workload (issue / exchange / 2-5 concurrent exchanges / revoke) with faults before, after commit and hangs", async () => {
	const started = performance.now();
	const seed = Number(process.env.RELIABILITY_SEED ?? 20261128);
	const inner = memoryStore();
	const store = faultyStore(inner, { seed, before: 0.07, after: 0.07, hang: 0.01, hangMs: 80 });
	const clock = manualClock();
	const events: TokenEvent[] = [];
	// A short storeTimeout keeps the suite fast; the 200 ms case is the test above.
	const service = createTokenService({ ...SERVICE, store, clock, storeTimeout: "50ms", onEvent: (event) => events.push(event) });
	const random = seededRandom(seed ^ 0x5eed);
	const report = await runWorkload({
		service,
		store,
		inspect: inner,
		serviceOptions: SERVICE,
		events,
		now: () => clock.now(),
		clients: 24,
		rounds: 30,
		random,
		between: () => clock.advance(1 + Math.floor(random() * 3)),
		attempts: 12,
		retryDelayMs: 1,
		storeTimeoutMs: 50,
		burstShare: 0.3,
		logoutShare: 0.08,
		subjectPrefix: "mem",
	});
	const stats = store.stats();
	const lostLogins = store.faults.filter((fault) => fault.method === "createSession" && fault.committed === true).length;
	const durationMs = performance.now() - started;
	recordScenario("store-faults-memory", { report, stats, durationMs, seed });
	assert.equal(report.violations, []);
	assert.is(report.sessionsLost, 0);
	assert.is(report.spuriousRevocations, 0);
	assert.is(report.gaveUp, 0);
	assert.is(report.unplannedFailures, 0, "the memory store fails only when told to");
	assert.is(report.orphanSessions, lostLogins, "orphans are exactly the logins whose answer was lost");
	assert.ok(report.beforeUnchanged > 0 && report.afterHealed > 0 && report.hangsTimedOut > 0, JSON.stringify(report));
	assert.ok(stats.before > 0 && stats.after > 0 && stats.hang > 0);
	assert.ok((report.events["grace-replayed"] ?? 0) > 0);
});

test.run();
