// Reliability, scenario 1 on PostgreSQL: the mixed workload of store-faults.test.ts over the
// Drizzle store (openStore, postgres.js, the production path) on a real PostgreSQL 15, with
// random faults before the call, after it committed, and hangs past a 200 ms storeTimeout whose
// statement then commits late. Then two faults PostgreSQL makes by itself: a statement blocked
// on a row lock past storeTimeout that commits once the lock goes (a real late commit), and the
// idle/absolute/grace boundary decisions repeated, since there the comparison runs in SQL.
//
//   npm run test:reliability                          # bounded (CI: 20 s of workload)
//   FAULTS_SECONDS=120 npm run test:reliability
import postgres from "postgres";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createTokenService, type TokenEvent } from "../../core/index.js";
import { type OpenedStore, openStore } from "../../storage/drizzle/index.js";
import { hex, rejects, TEST_REFRESH_SECRET, TEST_SECRET } from "../helpers.js";
import { faultyStore, seededRandom } from "../support/faulty-store.js";
import { createDatabase, startPostgres } from "../support/postgres.js";
import { boundaryDecisions } from "./lib/boundaries.js";
import { tokenHashHex } from "./lib/checks.js";
import { sleep } from "./lib/pg.js";
import { recordScenario } from "./lib/report.js";
import { runWorkload } from "./lib/workload.js";

const SECONDS = Number(process.env.FAULTS_SECONDS ?? 20);
const SERVICE = { keys: { secret: TEST_SECRET }, issuer: "https://auth.test", audience: "https://api.test", refresh: { secret: TEST_REFRESH_SECRET } } as const;

const test = suite("reliability: store faults (PostgreSQL)");
const opened: OpenedStore[] = [];
const clients: postgres.Sql[] = [];
test.after(async () => {
	for (const store of opened) await store.close();
	for (const client of clients) await client.end({ timeout: 5 });
});

/** The store's two ways of rotating: every scenario runs with both. */
interface Mode {
	label: string;
	batch: boolean;
	/** Added to database and scenario names. */
	suffix: string;
}
const MODES: readonly Mode[] = [
	{ label: "batched rotations", batch: true, suffix: "" },
	{ label: "one statement per rotation", batch: false, suffix: "_single" },
];

/** Registers `run` once per mode. */
function eachMode(name: string, run: (mode: Mode) => Promise<void>): void {
	for (const mode of MODES) test(`${name} (${mode.label})`, () => run(mode));
}

async function freshStore(name: string, mode: Mode): Promise<{ store: OpenedStore; url: string }> {
	await startPostgres();
	const url = await createDatabase(`${name}${mode.suffix}`);
	const store = await openStore(url, { batch: mode.batch });
	opened.push(store);
	return { store, url };
}

eachMode(`mixed workload with random faults on the Drizzle store, ${SECONDS} s`, async (mode) => {
	const started = performance.now();
	const { store: inner } = await freshStore("rel_faults", mode);
	const seed = Number(process.env.RELIABILITY_SEED ?? 20261128);
	const store = faultyStore(inner, { seed, before: 0.05, after: 0.05, hang: 0.01, hangMs: 350 });
	const events: TokenEvent[] = [];
	const service = createTokenService({ ...SERVICE, store, storeTimeout: "200ms", onEvent: (event) => events.push(event) });
	const random = seededRandom(seed ^ 0x9e37);
	const report = await runWorkload({
		service,
		store,
		inspect: inner,
		serviceOptions: SERVICE,
		events,
		now: () => new Date(),
		clients: 30,
		rounds: 1_000_000,
		deadline: Date.now() + SECONDS * 1000,
		random,
		between: () => sleep(random() * 20),
		attempts: 20,
		retryDelayMs: 25,
		storeTimeoutMs: 200,
		burstShare: 0.3,
		logoutShare: 0.05,
		subjectPrefix: "pg",
		probeLimit: 5,
	});
	const stats = store.stats();
	const lostLogins = store.faults.filter((fault) => fault.method === "createSession" && fault.committed === true).length;
	recordScenario(`store-faults-postgres${mode.suffix}`, { report, stats, durationMs: performance.now() - started, seed }, { print: true });
	assert.equal(report.violations, []);
	assert.is(report.sessionsLost, 0);
	assert.is(report.spuriousRevocations, 0);
	assert.is(report.gaveUp, 0);
	assert.is(report.orphanSessions, lostLogins);
	assert.ok(report.beforeUnchanged > 0 && report.afterHealed > 0 && report.hangsTimedOut > 0, JSON.stringify(report));
});

eachMode("a rotation blocked on a row lock past storeTimeout: 503 for the client, the statement commits late, the retry gets that same successor", async (mode) => {
	const { store, url } = await freshStore("rel_lock", mode);
	const locker = postgres(url, { max: 1, fetch_types: false, onnotice: () => {} });
	clients.push(locker);
	const events: TokenEvent[] = [];
	const service = createTokenService({ ...SERVICE, store, storeTimeout: "200ms", onEvent: (event) => events.push(event) });
	const sessions = await Promise.all(Array.from({ length: 8 }, (_, i) => service.issue({ subject: `locked-${i}` })));
	const ids = sessions.map((session) => session.sessionId);
	let failedFast = 0;
	const lockHeldMs = 1500;
	await locker.begin(async (tx) => {
		await tx`select 1 from refresh_kit_sessions where id in ${tx(ids)} for update`;
		await Promise.all(
			sessions.map(async (session) => {
				const startedAt = performance.now();
				await rejects(service.exchange(session.refreshToken), "ERR_STORE_UNAVAILABLE");
				const elapsed = performance.now() - startedAt;
				assert.ok(elapsed >= 195 && elapsed < lockHeldMs, `failed after ${elapsed.toFixed(0)} ms`);
				failedFast++;
			}),
		);
		await sleep(lockHeldMs - 200);
	});
	// The abandoned UPDATEs were only waiting for the lock: they commit now.
	let committed = 0;
	for (let i = 0; i < 50 && committed < ids.length; i++) {
		committed = 0;
		for (const id of ids) if ((await store.findSession(id))?.generation === 1) committed++;
		if (committed < ids.length) await sleep(20);
	}
	assert.is(committed, ids.length, "every blocked rotation committed after the lock was released");
	for (const session of sessions) {
		const retry = await service.exchange(session.refreshToken);
		const row = await store.findSession(session.sessionId);
		assert.is(row?.generation, 1, "the retry did not rotate again");
		assert.is(hex(row?.tokenHash), tokenHashHex(retry.refreshToken), "the retry got the successor the late statement created");
		const next = await service.exchange(retry.refreshToken);
		assert.is(next.sessionId, session.sessionId);
	}
	assert.ok(!events.some((event) => event.type === "reuse-detected" || event.type === "revoked"));
	recordScenario(
		`postgres-row-lock-late-commit${mode.suffix}`,
		{ sessions: ids.length, failedWith503: failedFast, lockHeldMs, lateCommits: committed, healedByGrace: events.filter((e) => e.type === "grace-replayed").length },
		{ print: true },
	);
});

eachMode("idle, absolute and grace boundaries decided in SQL: the same verdict on every repetition", async (mode) => {
	const { store } = await freshStore("rel_boundaries", mode);
	const repeats = Number(process.env.BOUNDARY_REPEATS ?? 25);
	const results = await boundaryDecisions(store, repeats);
	recordScenario(`boundaries-postgres${mode.suffix}`, { repeats, results }, { print: true });
	for (const result of results) assert.equal(result.outcomes, { [result.expected]: repeats }, result.name);
});

test.run();
