// Real concurrency on a PostgreSQL server: several postgres.js pools (= app instances) racing
// on one token, under READ COMMITTED and SERIALIZABLE, concurrent migrations, revocations and
// prunes. PGlite (one connection) cannot show any of this. Every case runs twice: with the
// store's rotation batching and with one statement per rotation (BATCH_MODES).
import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as assert from "uvu/assert";
import { isTokenError, type TokenEvent, type TokenService, type TokenSet } from "../../core/index.js";
import type { RotationResult, TokenStore } from "../../core/port.js";
import { formatRefreshToken, hashToken, newSecret, parseRefreshToken, sealSuccessor } from "../../core/refresh-token.js";
import { type DrizzleDatabase, type DrizzleStoreOptions, migrate, drizzleStore as storeOf } from "../../storage/drizzle/index.js";
import { manualClock, TEST_REFRESH_KEYS } from "../helpers.js";
import { createDatabase, postgresOrSkip } from "../support/postgres.js";
import { guardedSuite } from "../support/suite.js";
import { BATCH_MODES, serviceOn } from "./drizzle-cases.js";

const server = await postgresOrSkip();

interface Pool {
	client: postgres.Sql;
	db: PostgresJsDatabase;
}

for (const mode of server === null ? [] : BATCH_MODES) {
	const batched = mode.batch !== false;
	const test = guardedSuite(`postgres: concurrency, ${mode.label}`);

	/** The store under test in this mode (batched or not), with any other options. */
	function drizzleStore(db: DrizzleDatabase, options: DrizzleStoreOptions = {}): TokenStore {
		return storeOf(db, { batch: mode.batch, ...options });
	}
	const pools: Pool[] = [];
	let url = "";

	function open(options: postgres.Options<Record<string, postgres.PostgresType>> = {}): Pool {
		const client = postgres(url, { max: 10, onnotice: () => {}, idle_timeout: 20, ...options });
		const pool = { client, db: drizzle(client) };
		pools.push(pool);
		return pool;
	}

	/** A store that counts the "token still current but not rotated" views it hands out. */
	function counting(store: TokenStore, counts: { stale: number; rotations: number }): TokenStore {
		return {
			...store,
			async rotateToken(rotation): Promise<RotationResult> {
				const result = await store.rotateToken(rotation);
				counts.rotations++;
				const current = result.session?.tokenHash;
				if (!result.rotated && current !== undefined && Buffer.compare(current, rotation.presentedHash) === 0) counts.stale++;
				return result;
			},
		};
	}

	test.before(async () => {
		url = await createDatabase("rk_storage_concurrency");
		await migrate(open().db);
	});
	test.before.each(async () => {
		await (pools[0] as Pool).db.execute(sql`truncate refresh_kit_sessions`);
	});
	test.after(async () => {
		await Promise.all(pools.splice(0).map((pool) => pool.client.end({ timeout: 5 })));
	});

	test("240 concurrent exchanges of one token over 4 pools converge on one successor; stale views are retried", async () => {
		const instances = [open(), open(), open(), open()];
		const counts = { stale: 0, rotations: 0 };
		const clock = manualClock();
		const events: TokenEvent[] = [];
		const services = instances.map((pool) => serviceOn(counting(drizzleStore(pool.db), counts), clock, events));
		for (let round = 0; round < 3; round++) {
			const first = await (services[0] as TokenService).issue({ subject: `race-${round}` });
			const results = await Promise.all(Array.from({ length: 240 }, (_, i) => (services[i % 4] as TokenService).exchange(first.refreshToken)));
			assert.is(new Set(results.map((r) => r.refreshToken)).size, 1);
		}
		assert.is(events.filter((e) => e.type === "refreshed").length, 3);
		assert.is(events.filter((e) => e.type === "grace-replayed").length, 3 * 239);
		// Every stale view cost exactly one more rotateToken call, never a wrong verdict.
		assert.is(counts.rotations, 3 * 240 + counts.stale);
		console.log(`    [race] 720 exchanges, ${counts.stale} stale views retried (READ COMMITTED snapshot of a row rotated meanwhile)`);
	});

	// Batched, the exchanges of one instance wait in its batcher for the one in flight (then see it
	// committed), so only the first of each other instance blocks on the row lock.
	test("a slow rotation makes the other exchanges block on the row lock: they see the stale snapshot, ask again, converge", async () => {
		const admin = (pools[0] as Pool).client;
		// The winner holds the row lock for 100 ms, so the other 239 are queued behind it for sure.
		await admin.unsafe(`
			create or replace function rk_slow() returns trigger language plpgsql as $$ begin perform pg_sleep(0.1); return new; end $$;
			create trigger rk_slow before update on refresh_kit_sessions for each row execute function rk_slow();`);
		try {
			const instances = [open(), open(), open(), open()];
			const counts = { stale: 0, rotations: 0 };
			const clock = manualClock();
			const events: TokenEvent[] = [];
			const services = instances.map((pool) => serviceOn(counting(drizzleStore(pool.db), counts), clock, events));
			await Promise.all(instances.map((pool) => Promise.all(Array.from({ length: 10 }, () => pool.client`select 1`))));
			const first = await (services[0] as TokenService).issue({ subject: "slow" });
			const results = await Promise.all(Array.from({ length: 240 }, (_, i) => (services[i % 4] as TokenService).exchange(first.refreshToken)));
			assert.is(new Set(results.map((r) => r.refreshToken)).size, 1);
			assert.is(events.filter((e) => e.type === "refreshed").length, 1);
			assert.ok(counts.stale >= (batched ? 1 : 20), `only ${counts.stale} stale views: the exchanges did not really contend`);
			if (batched) assert.ok(counts.stale <= 3 * 2, `${counts.stale} stale views: more than the other instances had in flight`);
			assert.is(counts.rotations, 240 + counts.stale);
			console.log(`    [race, slow rotation] 240 exchanges, ${counts.stale} blocked on the lock, saw the stale snapshot and retried`);
		} finally {
			await admin.unsafe("drop trigger if exists rk_slow on refresh_kit_sessions; drop function if exists rk_slow();");
		}
	});

	/** How many rotations a statement sent: one, or a batch's rows (its first parameter is the ids' array literal). */
	function rotationsIn(query: string, params: unknown[]): number {
		if (query.startsWith('with "updated"')) return 1;
		if (query.startsWith("with input")) return String(params[0]).split(",").length;
		return 0;
	}

	test("under SERIALIZABLE, serialization failures are retried inside the store, never surfaced", async () => {
		const admin = (pools[0] as Pool).client;
		let executions = 0;
		const instances = [0, 1, 2, 3].map(() => {
			const client = postgres(url, { max: 10, onnotice: () => {}, idle_timeout: 20, connection: { default_transaction_isolation: "serializable" } });
			const pool = { client, db: drizzle(client, { logger: { logQuery: (query, params) => void (executions += rotationsIn(query, params)) } }) };
			pools.push(pool);
			return pool;
		});
		const counts = { stale: 0, rotations: 0 };
		const clock = manualClock();
		const services = instances.map((pool) => serviceOn(counting(drizzleStore(pool.db, { retries: 8 }), counts), clock, []));
		const isolation = await (instances[0] as Pool).client`show transaction_isolation`;
		assert.is(isolation[0]?.transaction_isolation, "serializable");
		await Promise.all(instances.map((pool) => Promise.all(Array.from({ length: 10 }, () => pool.client`select 1`))));
		// A slow rotation so that concurrent ones really collide: under SERIALIZABLE the waiters
		// then fail with 40001 instead of re-checking the row.
		await admin.unsafe(`
			create or replace function rk_slow() returns trigger language plpgsql as $$ begin perform pg_sleep(0.05); return new; end $$;
			create trigger rk_slow before update on refresh_kit_sessions for each row execute function rk_slow();`);
		try {
			const first = await (services[0] as TokenService).issue({ subject: "serial" });
			const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (services[i % 4] as TokenService).exchange(first.refreshToken)));
			assert.is(new Set(results.map((r) => r.refreshToken)).size, 1);
		} finally {
			await admin.unsafe("drop trigger if exists rk_slow on refresh_kit_sessions; drop function if exists rk_slow();");
		}
		const retried = executions - counts.rotations;
		assert.ok(retried > 0, "no serialization failure happened: the test proved nothing");
		console.log(`    [serializable] 200 exchanges, ${retried} rotations failed with 40001 and were sent again inside the store`);
		const logins = await Promise.all(Array.from({ length: 40 }, (_, i) => serviceOn(drizzleStore((instances[i % 4] as Pool).db), clock, [], { refresh: { mode: "reuse" } }).issue({ subject: "serial", device: "tv" })));
		assert.is(new Set(logins.map((r) => r.refreshToken)).size, 1);
	});

	test("under a REPEATABLE READ default, concurrent reuse-mode logins still open one session and races converge", async () => {
		const instances = [0, 1, 2, 3].map(() => open({ connection: { default_transaction_isolation: "repeatable read" } }));
		const clock = manualClock();
		await Promise.all(instances.map((pool) => Promise.all(Array.from({ length: 10 }, () => pool.client`select 1`))));
		const reuse = instances.map((pool) => serviceOn(drizzleStore(pool.db), clock, [], { refresh: { mode: "reuse" } }));
		for (let round = 0; round < 3; round++) {
			const logins = await Promise.all(Array.from({ length: 40 }, (_, i) => (reuse[i % 4] as TokenService).issue({ subject: `rr-${round}`, device: "tv" })));
			assert.is(new Set(logins.map((r) => r.refreshToken)).size, 1);
			assert.is((await (reuse[0] as TokenService).listSessions(`rr-${round}`)).length, 1);
		}
		const rotate = instances.map((pool) => serviceOn(drizzleStore(pool.db), clock, []));
		const first = await (rotate[0] as TokenService).issue({ subject: "rr" });
		const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (rotate[i % 4] as TokenService).exchange(first.refreshToken)));
		assert.is(new Set(results.map((r) => r.refreshToken)).size, 1);
	});

	test("migrate() from several instances at once on an empty database", async () => {
		const freshUrl = await createDatabase("rk_storage_migrate_race");
		const clients = [0, 1, 2, 3].map(() => postgres(freshUrl, { max: 2, onnotice: () => {} }));
		try {
			await Promise.all(clients.map((client) => migrate(drizzle(client))));
			await migrate(drizzle(clients[0] as postgres.Sql));
			const rows = await (clients[0] as postgres.Sql)`select count(*)::int as n from drizzle.__refresh_kit_migrations`;
			assert.is(rows[0]?.n, (JSON.parse(readFileSync("drizzle/meta/_journal.json", "utf8")) as { entries: unknown[] }).entries.length);
			const tables = await (clients[0] as postgres.Sql)`select count(*)::int as n from pg_tables where tablename = 'refresh_kit_sessions'`;
			assert.is(tables[0]?.n, 1);
		} finally {
			await Promise.all(clients.map((client) => client.end({ timeout: 5 })));
		}
	});

	test("revokeSubject from every instance at once, while the subject's sessions rotate: no deadlock, each session revoked once", async () => {
		const instances = [open(), open(), open(), open()];
		const clock = manualClock();
		const events: TokenEvent[] = [];
		const services = instances.map((pool) => serviceOn(drizzleStore(pool.db, { retries: 0 }), clock, events));
		const sessions: TokenSet[] = [];
		for (let i = 0; i < 40; i++) sessions.push(await (services[i % 4] as TokenService).issue({ subject: "everywhere" }));
		const rotations = sessions.map((tokens, i) =>
			(services[(i + 1) % 4] as TokenService).exchange(tokens.refreshToken).then(
				() => "ok",
				(error: unknown) => (isTokenError(error) ? error.code : String(error)),
			),
		);
		const revocations = await Promise.all(Array.from({ length: 8 }, (_, i) => (services[i % 4] as TokenService).revokeSubject("everywhere")));
		const outcomes = await Promise.all(rotations);
		assert.is(
			revocations.reduce((a, b) => a + b, 0),
			40,
		);
		assert.ok(
			outcomes.every((o) => o === "ok" || o === "ERR_TOKEN_REVOKED"),
			outcomes.join(","),
		);
		assert.is(events.filter((e) => e.type === "revoked").length, 40);
		assert.equal(await (services[0] as TokenService).listSessions("everywhere"), []);
	});

	test("prune on four instances at once, during traffic: every dead session deleted once, live ones untouched", async () => {
		const instances = [open(), open(), open(), open()];
		const clock = manualClock();
		const stores = instances.map((pool) => drizzleStore(pool.db));
		const services = stores.map((store) => serviceOn(store, clock, [], { refresh: { idleTtl: "1h" } }));
		const main = services[0] as TokenService;
		// 400 sessions that will be dead (idle expiry) by the time the pruners run.
		const created = Date.now();
		await (instances[0] as Pool).client`
			insert into refresh_kit_sessions (id, subject, mode, family_hash, token_hash, created_at, last_used_at, expires_at)
			select gen_random_uuid(), 'dead-' || g, 'rotate', '\\x00', '\\x01', ${clock.now().toISOString()}::timestamptz, ${clock.now().toISOString()}::timestamptz,
				${clock.now().toISOString()}::timestamptz + interval '1 hour'
			from generate_series(1, 400) g`;
		clock.advance(2 * 3600);
		const live = await Promise.all(Array.from({ length: 12 }, (_, i) => (services[i % 4] as TokenService).issue({ subject: `live-${i}` })));
		const pruners = stores.map(async (store) => {
			let total = 0;
			for (;;) {
				const deleted = await store.prune({ before: clock.now(), limit: 25 });
				total += deleted;
				if (deleted === 0) return total;
			}
		});
		const traffic = live.map(async (tokens, i) => {
			let current = tokens;
			for (let step = 0; step < 10; step++) current = await (services[(i + step) % 4] as TokenService).exchange(current.refreshToken);
			return current;
		});
		const [deleted, tails] = await Promise.all([Promise.all(pruners), Promise.all(traffic)]);
		assert.is(
			deleted.reduce((a, b) => a + b, 0),
			400,
		);
		for (const tokens of tails) assert.ok(await main.exchange(tokens.refreshToken));
		const left = await (instances[0] as Pool).client`select count(*)::int as n from refresh_kit_sessions`;
		assert.is(left[0]?.n, 12);
		assert.ok(Date.now() - created < 30_000);
	});

	// Batched, the exchange shares its statement with five others: the statement waits on the lock,
	// skips the row that changed meanwhile (re-checked under READ COMMITTED) and rotates the rest.
	test("an exchange blocked by a concurrent rotation sees a stale snapshot once, asks again, and gets the grace successor", async () => {
		const [holder, racer] = [open({ max: 1 }), open({ max: 1 })];
		const counts = { stale: 0, rotations: 0 };
		const clock = manualClock();
		const service = serviceOn(counting(drizzleStore((racer as Pool).db), counts), clock, []);
		const first = await service.issue({ subject: "locked" });
		const parts = parseRefreshToken(first.refreshToken);
		assert.ok(parts);
		// Another instance rotates the token inside a transaction it keeps open for a moment.
		const successor = newSecret();
		const key = TEST_REFRESH_KEYS.current;
		const successorHash = hashToken(key, parts.familyProof, successor);
		let release!: () => void;
		const released = new Promise<void>((resolve) => (release = resolve));
		let rotatedInside!: () => void;
		const rotated = new Promise<void>((resolve) => (rotatedInside = resolve));
		const transaction = (holder as Pool).client.begin(async (tx) => {
			await tx`update refresh_kit_sessions set previous_hash = token_hash, token_hash = ${Buffer.from(successorHash)},
				sealed_successor = ${Buffer.from(sealSuccessor(key, successor, parts.secret, successorHash))}, rotated_at = ${clock.now().toISOString()}::timestamptz,
				last_used_at = ${clock.now().toISOString()}::timestamptz, generation = generation + 1 where id = ${first.sessionId}`;
			rotatedInside();
			await released;
		});
		const bystanders = batched ? await Promise.all(Array.from({ length: 5 }, (_, i) => service.issue({ subject: `bystander-${i}` }))) : [];
		await rotated;
		const pending = service.exchange(first.refreshToken);
		const others = Promise.all(bystanders.map((tokens) => service.exchange(tokens.refreshToken)));
		// Wait until the racer's UPDATE is really blocked on the row lock, then commit.
		for (let i = 0; i < 500; i++) {
			const waiting = await (pools[0] as Pool).client`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`;
			if ((waiting[0]?.n ?? 0) > 0) break;
			await new Promise((resolve) => setTimeout(resolve, 5));
		}
		release();
		await transaction;
		const result = await pending;
		assert.is(result.refreshToken, formatRefreshToken({ ...parts, secret: successor }));
		assert.is(counts.stale, 1);
		assert.is(counts.rotations, 2 + bystanders.length);
		for (const [i, tokens] of (await others).entries()) assert.is(tokens.sessionId, bystanders[i]?.sessionId);
		for (const tokens of bystanders) assert.is((await drizzleStore((holder as Pool).db).findSession(tokens.sessionId))?.generation, 1);
	});

	test.run();
}
