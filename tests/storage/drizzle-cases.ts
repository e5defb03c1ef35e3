// Test cases shared by the PGlite and the PostgreSQL suites of the Drizzle store. Not a suite
// itself (the runner only picks up *.test.ts): pglite.test.ts and postgres.test.ts register
// these against their own database.
import * as assert from "uvu/assert";
import { createTokenService, isTokenError, type TokenEvent, type TokenService, type TokenSet } from "../../core/index.js";
import type { RotationResult, SessionRecord, TokenRotation, TokenStore } from "../../core/port.js";
import type { DrizzleStoreOptions } from "../../storage/drizzle/index.js";
import { memoryStore } from "../../storage/memory/index.js";
import { plain } from "../../testing/fixtures.js";
import { type ManualClock, manualClock, rejects, TEST_SECRET, type TestServiceOptions, testRefresh } from "../helpers.js";
import { guardedSuite } from "../support/suite.js";

/** What a suite gives the shared cases: stores over one (emptied-per-test) database. */
export interface DrizzleFixture {
	/** Opens the database once (and migrates it). */
	setup(): Promise<void>;
	/** Empties the sessions table. */
	reset(): Promise<void>;
	/** Closes everything `setup` and `stores` opened. */
	teardown(): Promise<void>;
	/** The main store. */
	store(): TokenStore;
	/**
	 * `count` stores over the same database, as separate app instances would have them
	 * (separate pools on a server; PGlite has one connection, so there they share it).
	 */
	stores(count: number): TokenStore[];
	/** A store like the main one whose statements a Drizzle logger pushes to `log`. */
	logged(log: string[]): TokenStore;
}

/**
 * The store's two ways of rotating, each suite run with both: batched (at most 2 statements in
 * flight, so that concurrent rotations really share statements; the default is the pool's size)
 * and one statement per rotation.
 */
export const BATCH_MODES: readonly { label: string; batch: NonNullable<DrizzleStoreOptions["batch"]> }[] = [
	{ label: "batched", batch: { maxInFlight: 2 } },
	{ label: "one statement per rotation", batch: false },
];

const START = new Date("2026-01-01T00:00:00.000Z");
const DAY = 86_400_000;

function bytes(fill: number, length = 32): Uint8Array {
	return new Uint8Array(length).fill(fill);
}

let counter = 0;

function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
	counter++;
	return {
		id: crypto.randomUUID(),
		subject: `user-${counter}`,
		device: null,
		claims: null,
		mode: "rotate",
		familyHash: bytes(1),
		tokenHash: bytes(2),
		previousHash: null,
		sealedSuccessor: null,
		rotatedAt: null,
		generation: 0,
		createdAt: START,
		lastUsedAt: START,
		expiresAt: new Date(START.getTime() + 30 * DAY),
		absoluteExpiresAt: new Date(START.getTime() + 90 * DAY),
		revokedAt: null,
		...overrides,
	};
}

function hexOf(value: Uint8Array | null | undefined): string {
	return value === null || value === undefined ? "null" : Array.from(value, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function at(offsetMs: number): Date {
	return new Date(START.getTime() + offsetMs);
}

/**
 * Store-level checks beyond the shared contract suite (refresh-kit/testing, testing/): exact
 * JavaScript types, ids that are not UUIDs, and races across several store instances.
 */
export function storeCases(label: string, fixture: DrizzleFixture, options: { batched: boolean }): void {
	const test = guardedSuite(`${label}: drizzle store`);
	test.before(() => fixture.setup());
	test.before.each(() => fixture.reset());
	test.after(() => fixture.teardown());

	test("a session round-trips every field, bytes as plain Uint8Array", async () => {
		const store = fixture.store();
		const session = record({
			device: "laptop",
			claims: { role: "admin", nested: { list: [1, 2, "x"] }, unicode: "ünï" },
			previousHash: bytes(3),
			sealedSuccessor: bytes(4),
			rotatedAt: at(1000),
			generation: 7,
			lastUsedAt: at(1500),
			revokedAt: at(2000),
		});
		await store.createSession(session);
		const found = await store.findSession(session.id);
		assert.equal(found, session);
		assert.is(found?.tokenHash.constructor, Uint8Array);
		assert.is(found?.createdAt instanceof Date, true);
	});

	test("ids that are not UUIDs are simply absent (no SQL error)", async () => {
		const store = fixture.store();
		assert.is(await store.findSession("not-a-uuid"), null);
		assert.is(await store.revokeSession("not-a-uuid", START), null);
		const result = await store.rotateToken({ sessionId: "nope", presentedHash: bytes(2), successorHash: bytes(5), sealedSuccessor: bytes(6), now: START, idleExpiresAt: null });
		assert.equal(result, { rotated: false, session: null });
		await store.touchSession({ sessionId: "", now: START, idleExpiresAt: null });
	});

	test("concurrent openReusableSession calls of one subject + device open one session", async () => {
		const stores = fixture.stores(4);
		const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (stores[i % stores.length] as TokenStore).openReusableSession(record({ subject: "grace", device: "d", mode: "reuse" }))));
		assert.is(new Set(results.map((s) => s.id)).size, 1);
		assert.is((await fixture.store().listSessions("grace", at(1), 1000)).length, 1);
	});

	test("concurrent rotations of many sessions: each caller gets exactly what it would get alone (the memory store, one call at a time)", async () => {
		const store = fixture.store();
		const reference = memoryStore();
		const live = (overrides: Partial<SessionRecord> = {}): SessionRecord => record({ device: "d", claims: { n: counter }, ...overrides });
		// Rotations with their own `now` and idle expiry, against sessions in every state.
		const cases: Array<{ session: SessionRecord | null; rotation: Omit<TokenRotation, "sessionId"> & { sessionId?: string } }> = [];
		const rotate = (presented: number, now: number, idle: number | null) => ({
			presentedHash: bytes(presented),
			successorHash: bytes(40 + cases.length),
			sealedSuccessor: bytes(80 + cases.length, 36),
			now: at(now),
			idleExpiresAt: idle === null ? null : at(idle),
		});
		cases.push({ session: live(), rotation: rotate(2, 1000, 20 * DAY) });
		cases.push({ session: live({ previousHash: bytes(7), rotatedAt: at(10), generation: 4 }), rotation: rotate(2, 2000, 200 * DAY) }); // capped at the absolute expiry
		cases.push({ session: live(), rotation: rotate(2, 3000, null) }); // no idle limit: the absolute one
		cases.push({ session: live({ absoluteExpiresAt: null }), rotation: rotate(2, 3000, null) }); // never expires
		cases.push({ session: live(), rotation: rotate(9, 1000, 20 * DAY) }); // not the current token
		cases.push({ session: live({ revokedAt: at(500) }), rotation: rotate(2, 1000, 20 * DAY) });
		cases.push({ session: live({ expiresAt: at(5000) }), rotation: rotate(2, 4999, 20 * DAY) }); // one ms before expiry
		cases.push({ session: live({ expiresAt: at(5000) }), rotation: rotate(2, 5000, 20 * DAY) }); // at expiry
		cases.push({ session: null, rotation: { ...rotate(2, 1000, 20 * DAY), sessionId: crypto.randomUUID() } }); // unknown
		for (const { session } of cases) {
			if (session === null) continue;
			await store.createSession(session);
			await reference.createSession(session);
		}
		const rotations = cases.map(({ session, rotation }) => ({ ...rotation, sessionId: rotation.sessionId ?? (session as SessionRecord).id }));
		const results = await Promise.all(rotations.map((rotation) => store.rotateToken(rotation)));
		for (const [i, rotation] of rotations.entries()) {
			const expected = await reference.rotateToken(rotation);
			assert.equal({ rotated: results[i]?.rotated, session: plain(results[i]?.session) }, { rotated: expected.rotated, session: plain(expected.session) }, `case ${i}`);
			assert.equal(plain(await store.findSession(rotation.sessionId)), plain(await reference.findSession(rotation.sessionId)), `stored state, case ${i}`);
		}
		assert.equal(
			results.map((r) => r.rotated),
			[true, true, true, true, false, false, true, false, false],
		);
	});

	test("two rotations of one session at the same time: one rotates; the other sees its outcome or, unbatched, possibly the snapshot before it", async () => {
		const store = fixture.store();
		for (let round = 0; round < 10; round++) {
			const session = record();
			await store.createSession(session);
			const [a, b] = (await Promise.all(
				[0, 1].map((k) => store.rotateToken({ sessionId: k === 0 ? session.id : session.id.toUpperCase(), presentedHash: bytes(2), successorHash: bytes(50 + k), sealedSuccessor: bytes(1), now: at(1), idleExpiresAt: null })),
			)) as [RotationResult, RotationResult];
			assert.is(Number(a.rotated) + Number(b.rotated), 1);
			const [winner, loser] = a.rotated ? [a, b] : [b, a];
			const seen = hexOf(loser.session?.tokenHash);
			// Batched, the second waits for the first and then runs as a call one after the other would.
			if (options.batched) assert.is(seen, hexOf(winner.session?.tokenHash));
			else assert.ok(seen === hexOf(winner.session?.tokenHash) || seen === hexOf(bytes(2)), "the new state or the statement's snapshot");
		}
	});

	test("20 concurrent exchanges of one token: all get the one successor; batched, in 2 statements one after the other, not 20", async () => {
		const log: string[] = [];
		const events: TokenEvent[] = [];
		const service = serviceOn(fixture.logged(log), manualClock(), events);
		const first = await service.issue({ subject: "burst" });
		log.length = 0;
		const results = await Promise.all(Array.from({ length: 20 }, () => service.exchange(first.refreshToken)));
		assert.is(new Set(results.map((tokens) => tokens.refreshToken)).size, 1);
		assert.is(events.filter((e) => e.type === "refreshed").length, 1);
		assert.is(events.filter((e) => e.type === "grace-replayed").length, 19);
		// Batched: the first rotates alone; the other 19 cannot rotate and share the next statement.
		// Unbatched: 20 statements sent in parallel, plus one more for each that read the row before
		// the winner committed (a "stale" view, which the service asks about again).
		if (options.batched) assert.is(log.length, 2, log.map((query) => query.slice(0, 20)).join(" | "));
		else assert.ok(log.length >= 20 && log.length <= 40, `${log.length} statements`);
	});

	test("of 200 concurrent rotations presenting one hash, exactly one rotates", async () => {
		const stores = fixture.stores(4);
		const session = record();
		await fixture.store().createSession(session);
		const results = await Promise.all(
			Array.from({ length: 200 }, (_, i) =>
				(stores[i % stores.length] as TokenStore).rotateToken({ sessionId: session.id, presentedHash: bytes(2), successorHash: bytes(10 + (i % 200)), sealedSuccessor: bytes(1), now: at(1), idleExpiresAt: null }),
			),
		);
		const winners = results.filter((r) => r.rotated);
		assert.is(winners.length, 1);
		const current = await fixture.store().findSession(session.id);
		assert.is(current?.generation, 1);
		assert.equal(current?.tokenHash, winners[0]?.session?.tokenHash);
	});

	test.run();
}

/** A service over `store` with test defaults and a shared clock and event log. */
export function serviceOn(store: TokenStore, clock: ManualClock, events: TokenEvent[], overrides: Partial<TestServiceOptions> = {}): TokenService {
	return createTokenService({
		store,
		keys: { secret: TEST_SECRET },
		issuer: "https://auth.test",
		audience: "https://api.test",
		clock,
		onEvent: (event) => events.push(event),
		...overrides,
		refresh: testRefresh(overrides.refresh),
	});
}

/** A lifecycle subset through the service, on a manual clock. */
export function lifecycleCases(label: string, fixture: DrizzleFixture): void {
	const test = guardedSuite(`${label}: service lifecycle`);
	test.before(() => fixture.setup());
	test.before.each(() => fixture.reset());
	test.after(() => fixture.teardown());

	test("rotate, grace replay, then reuse revokes the session", async () => {
		const clock = manualClock();
		const events: TokenEvent[] = [];
		const service = serviceOn(fixture.store(), clock, events, { refresh: { reuseGrace: "10s" } });
		const first = await service.issue({ subject: "u1", claims: { plan: "pro" } });
		const second = await service.exchange(first.refreshToken);
		clock.advance(9);
		const replay = await service.exchange(first.refreshToken);
		assert.is(replay.refreshToken, second.refreshToken);
		assert.is((await service.verify(replay.accessToken)).plan, "pro");
		clock.advance(1);
		await rejects(service.exchange(first.refreshToken), "ERR_TOKEN_REUSED");
		await rejects(service.exchange(second.refreshToken), "ERR_TOKEN_REVOKED");
		assert.equal(
			events.map((e) => e.type),
			["issued", "refreshed", "grace-replayed", "reuse-detected", "revoked"],
		);
	});

	test("idle expiry to the second, and rotation never passes the absolute limit", async () => {
		const clock = manualClock();
		const service = serviceOn(fixture.store(), clock, [], { refresh: { idleTtl: "1h", absoluteTtl: "2h" } });
		let tokens = await service.issue({ subject: "u2" });
		clock.advance(3599);
		tokens = await service.exchange(tokens.refreshToken);
		clock.advance(3599);
		tokens = await service.exchange(tokens.refreshToken);
		assert.is(tokens.refreshTokenExpiresAt?.getTime(), manualClock().now().getTime() + 7200_000);
		clock.advance(2);
		await rejects(service.exchange(tokens.refreshToken), "ERR_TOKEN_EXPIRED");
		const idle = await service.issue({ subject: "u2" });
		clock.advance(3600);
		await rejects(service.exchange(idle.refreshToken), "ERR_TOKEN_EXPIRED");
	});

	test("revoke, revokeSubject, listSessions", async () => {
		const clock = manualClock();
		const service = serviceOn(fixture.store(), clock, []);
		const a = await service.issue({ subject: "u3", device: "a" });
		clock.advance(1);
		const b = await service.issue({ subject: "u3", device: "b" });
		clock.advance(1);
		await service.issue({ subject: "u3", device: "c" });
		assert.equal(
			(await service.listSessions("u3")).map((s) => s.device),
			["a", "b", "c"],
		);
		await service.revoke(a.refreshToken);
		await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REVOKED");
		assert.is(await service.revokeSubject("u3"), 2);
		await rejects(service.exchange(b.refreshToken), "ERR_TOKEN_REVOKED");
		assert.equal(await service.listSessions("u3"), []);
		await service.revoke("rk1_garbage"); // RFC 7009: not an error
		assert.is(await service.revokeSession(crypto.randomUUID()), false);
	});

	test("reuse mode hands back the same token and slides its idle expiry", async () => {
		const clock = manualClock();
		const service = serviceOn(fixture.store(), clock, [], { refresh: { mode: "reuse", idleTtl: "10d", absoluteTtl: null } });
		const first = await service.issue({ subject: "u4", device: "phone" });
		clock.advance(2 * 86400);
		const again = await service.issue({ subject: "u4", device: "phone" });
		assert.is(again.refreshToken, first.refreshToken);
		assert.is(again.refreshTokenExpiresAt?.getTime(), clock.now().getTime() + 10 * 86_400_000);
		clock.advance(9 * 86400);
		const exchanged = await service.exchange(first.refreshToken);
		assert.is(exchanged.refreshToken, first.refreshToken);
		clock.advance(10 * 86400);
		await rejects(service.exchange(first.refreshToken), "ERR_TOKEN_EXPIRED");
		const fresh = await service.issue({ subject: "u4", device: "phone" });
		assert.is.not(fresh.refreshToken, first.refreshToken);
	});

	test("after prune(), an old token is reused or revoked (or unknown once pruned), never exchanged", async () => {
		const clock = manualClock();
		const service = serviceOn(fixture.store(), clock, [], { refresh: { reuseGrace: "10s", idleTtl: "1d" } });
		const live = await service.issue({ subject: "u5" });
		const liveNext = await service.exchange(live.refreshToken);
		const revoked = await service.issue({ subject: "u5" });
		const revokedNext = await service.exchange(revoked.refreshToken);
		await service.revoke(revokedNext.refreshToken);
		const expired = await service.issue({ subject: "u6" });
		clock.advance(3600);
		await service.exchange(liveNext.refreshToken); // keeps `live` alive past the others
		clock.advance(86400 - 1800);
		// Retention 30 min: the session revoked a day ago and the one that expired 30 min ago go.
		assert.is(await service.prune({ retention: "30m", batchSize: 1 }), 2);
		await rejects(service.exchange(live.refreshToken), "ERR_TOKEN_REUSED");
		for (const token of [revoked.refreshToken, revokedNext.refreshToken, expired.refreshToken]) {
			await rejects(service.exchange(token), "ERR_TOKEN_UNKNOWN");
		}
		// With a long retention, the revoked verdict survives pruning.
		const kept = await service.issue({ subject: "u7" });
		const keptNext = await service.exchange(kept.refreshToken);
		await service.revoke(keptNext.refreshToken);
		assert.is(await service.prune({ retention: "7d" }), 0);
		await rejects(service.exchange(kept.refreshToken), "ERR_TOKEN_REVOKED");
		await rejects(service.exchange(keptNext.refreshToken), "ERR_TOKEN_REVOKED");
	});

	test("onReuse revoke-subject logs the subject out everywhere", async () => {
		const clock = manualClock();
		const service = serviceOn(fixture.store(), clock, [], { refresh: { onReuse: "revoke-subject", reuseGrace: "1s" } });
		const a = await service.issue({ subject: "u8" });
		const b = await service.issue({ subject: "u8" });
		await service.exchange(a.refreshToken);
		clock.advance(5);
		await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REUSED");
		await rejects(service.exchange(b.refreshToken), "ERR_TOKEN_REVOKED");
	});

	test.run();
}

/** Races through the service, several stores (app instances) over one database. */
export function raceCases(label: string, fixture: DrizzleFixture, options: { concurrency: number; instances: number }): void {
	const test = guardedSuite(`${label}: races`);
	test.before(() => fixture.setup());
	test.before.each(() => fixture.reset());
	test.after(() => fixture.teardown());
	const { concurrency, instances } = options;

	test(`${concurrency} concurrent exchanges of one token over ${instances} instances all get the same successor`, async () => {
		const clock = manualClock();
		const events: TokenEvent[] = [];
		const services = fixture.stores(instances).map((store) => serviceOn(store, clock, events, { refresh: { reuseGrace: "10s" } }));
		const first = await (services[0] as TokenService).issue({ subject: "race" });
		const results = await Promise.allSettled(Array.from({ length: concurrency }, (_, i) => (services[i % instances] as TokenService).exchange(first.refreshToken)));
		const failures = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason?.code ?? r));
		assert.equal(failures, []);
		const successors = new Set(results.map((r) => (r as PromiseFulfilledResult<TokenSet>).value.refreshToken));
		assert.is(successors.size, 1);
		assert.is(events.filter((e) => e.type === "refreshed").length, 1);
		assert.is(events.filter((e) => e.type === "grace-replayed").length, concurrency - 1);
		const [successor] = successors;
		const next = await (services[1] as TokenService).exchange(successor as string);
		assert.is.not(next.refreshToken, successor);
	});

	test(`${concurrency} concurrent replays after the grace window: all refused, exactly one revocation`, async () => {
		const clock = manualClock();
		const events: TokenEvent[] = [];
		const services = fixture.stores(instances).map((store) => serviceOn(store, clock, events, { refresh: { reuseGrace: "10s" } }));
		const first = await (services[0] as TokenService).issue({ subject: "thief" });
		const second = await (services[0] as TokenService).exchange(first.refreshToken);
		clock.advance(11);
		const results = await Promise.allSettled(Array.from({ length: concurrency }, (_, i) => (services[i % instances] as TokenService).exchange(first.refreshToken)));
		const codes = results.map((r) => (r.status === "rejected" && isTokenError(r.reason) ? r.reason.code : "resolved"));
		assert.ok(
			codes.every((code) => code === "ERR_TOKEN_REUSED" || code === "ERR_TOKEN_REVOKED"),
			`unexpected outcomes: ${[...new Set(codes)].join(", ")}`,
		);
		assert.ok(codes.includes("ERR_TOKEN_REUSED"));
		assert.is(events.filter((e) => e.type === "revoked").length, 1);
		await rejects((services[2 % instances] as TokenService).exchange(second.refreshToken), "ERR_TOKEN_REVOKED");
	});

	test("concurrent chains of exchanges with prune running alongside", async () => {
		const clock = manualClock();
		const services = fixture.stores(instances).map((store) => serviceOn(store, clock, [], { refresh: { reuseGrace: "10s", idleTtl: "1h" } }));
		const main = services[0] as TokenService;
		// Dead sessions for prune to chew through: revoked, and expired ones.
		const doomed: TokenSet[] = [];
		for (let i = 0; i < 60; i++) doomed.push(await main.issue({ subject: `doomed-${i % 6}` }));
		for (const tokens of doomed.slice(0, 30)) await main.revoke(tokens.refreshToken);
		clock.advance(2 * 3600); // the other 30 expire (idle 1h); the chains below start fresh
		const chains = await Promise.all(Array.from({ length: 8 }, (_, i) => (services[i % instances] as TokenService).issue({ subject: `chain-${i}` })));
		let pruned = 0;
		let running = true;
		const pruner = (async () => {
			while (running) {
				pruned += await (services[(pruned + 1) % instances] as TokenService).prune({ retention: "0s", batchSize: 7 });
				await new Promise((resolve) => setTimeout(resolve, 1));
			}
		})();
		const tails = await Promise.all(
			chains.map(async (tokens, i) => {
				let current = tokens;
				for (let step = 0; step < 15; step++) current = await (services[(i + step) % instances] as TokenService).exchange(current.refreshToken);
				return current;
			}),
		);
		running = false;
		await pruner;
		pruned += await main.prune({ retention: "0s" });
		assert.is(pruned, 60);
		for (const tokens of tails) assert.ok((await main.exchange(tokens.refreshToken)).refreshToken);
		for (const tokens of doomed) await rejects(main.exchange(tokens.refreshToken), "ERR_TOKEN_UNKNOWN");
	});

	test("concurrent reuse-mode logins of one subject + device over all instances share one token", async () => {
		const clock = manualClock();
		const services = fixture.stores(instances).map((store) => serviceOn(store, clock, [], { refresh: { mode: "reuse" } }));
		const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (services[i % instances] as TokenService).issue({ subject: "kiosk", device: "lobby" })));
		assert.is(new Set(results.map((r) => r.refreshToken)).size, 1);
		assert.is((await (services[0] as TokenService).listSessions("kiosk")).length, 1);
	});

	test.run();
}
