// Failure on a real PostgreSQL server: backends terminated mid-exchange, the database going
// away and coming back (through a TCP proxy this test controls), a lost answer to a committed
// rotation, statement timeouts, and serialization failures / deadlocks retried by the store.
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as assert from "uvu/assert";
import { isTokenError, type TokenService, type TokenSet } from "../../core/index.js";
import { parseRefreshToken } from "../../core/refresh-token.js";
import { drizzleStore, migrate } from "../../storage/drizzle/index.js";
import { manualClock, rejects, storedHash } from "../helpers.js";
import { createDatabase, postgresOrSkip } from "../support/postgres.js";
import { ToggleProxy } from "../support/proxy.js";
import { guardedSuite } from "../support/suite.js";
import { serviceOn } from "./drizzle-cases.js";

const server = await postgresOrSkip();

if (server !== null) {
	const test = guardedSuite("postgres: failures");
	const clients: postgres.Sql[] = [];
	let url = "";
	let admin: postgres.Sql;
	let adminDb: PostgresJsDatabase;

	function pool(target: string, options: postgres.Options<Record<string, postgres.PostgresType>> = {}): PostgresJsDatabase {
		// fetch_types off as in openStore(): with it on, a backend terminated during postgres.js's
		// connect-time type query escapes as an unhandled rejection (porsager/postgres#1192).
		const client = postgres(target, { max: 10, onnotice: () => {}, idle_timeout: 20, connect_timeout: 5, fetch_types: false, ...options });
		clients.push(client);
		return drizzle(client);
	}

	async function generation(sessionId: string): Promise<number> {
		return (await drizzleStore(adminDb).findSession(sessionId))?.generation ?? -1;
	}

	test.before(async () => {
		url = await createDatabase("rk_storage_failure");
		admin = postgres(url, { max: 2, onnotice: () => {} });
		adminDb = drizzle(admin);
		await migrate(adminDb);
	});
	test.after(async () => {
		await Promise.all(clients.splice(0).map((client) => client.end({ timeout: 2 })));
		await admin.end({ timeout: 5 });
	});

	test("backends terminated in the middle of exchanges: success or ERR_STORE_UNAVAILABLE only, and every chain continues", async () => {
		const victims = [0, 1, 2, 3].map(() => pool(url, { connection: { application_name: "rk-victim" } }));
		const clock = manualClock();
		const services = victims.map((db) => serviceOn(drizzleStore(db), clock, []));
		const chains = await Promise.all(Array.from({ length: 8 }, (_, i) => (services[i % 4] as TokenService).issue({ subject: `victim-${i}` })));
		let running = true;
		let killed = 0;
		const killer = (async () => {
			while (running) {
				// One backend at a time, preferring one that is running a statement right now.
				const rows = await admin`select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity
					where application_name = 'rk-victim' order by state = 'active' desc, random() limit 1) t`;
				killed += rows[0]?.n ?? 0;
				await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 10));
			}
		})();
		const outcomes = new Map<string, number>();
		const tails = await Promise.all(
			chains.map(async (tokens, i) => {
				let current: TokenSet = tokens;
				for (let step = 0; step < 25; step++) {
					for (let attempt = 0; ; attempt++) {
						try {
							current = await (services[(i + step + attempt) % 4] as TokenService).exchange(current.refreshToken);
							outcomes.set("ok", (outcomes.get("ok") ?? 0) + 1);
							break;
						} catch (error) {
							const code = isTokenError(error) ? error.code : String(error);
							outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
							if (code !== "ERR_STORE_UNAVAILABLE" || attempt > 100) throw error;
						}
					}
				}
				return current;
			}),
		).finally(() => {
			running = false;
		});
		await killer;
		// pg_terminate_backend only signals the backend: let the last victims die before checking.
		await new Promise((resolve) => setTimeout(resolve, 200));
		console.log(`    [terminate] ${killed} backends terminated; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);
		assert.equal(
			[...outcomes.keys()].filter((k) => k !== "ok" && k !== "ERR_STORE_UNAVAILABLE"),
			[],
		);
		assert.ok((outcomes.get("ERR_STORE_UNAVAILABLE") ?? 0) > 0, "no exchange was interrupted: the test proved nothing");
		// The pools recovered by themselves: every chain's latest token still works.
		for (const [i, tokens] of tails.entries()) assert.ok(await (services[i % 4] as TokenService).exchange(tokens.refreshToken));
	});

	test("database unreachable: ERR_STORE_UNAVAILABLE; back: the same token works and the pool recovers", async () => {
		const proxy = new ToggleProxy(server.port);
		const port = await proxy.listen();
		try {
			const proxied = new URL(url);
			proxied.port = String(port);
			const clock = manualClock();
			const service = serviceOn(drizzleStore(pool(proxied.toString(), { max: 2 })), clock, [], { storeTimeout: "2s" });
			const first = await service.issue({ subject: "outage" });
			const second = await service.exchange(first.refreshToken);
			proxy.mode = "refuse";
			proxy.dropAll();
			await rejects(service.exchange(second.refreshToken), "ERR_STORE_UNAVAILABLE");
			await rejects(service.issue({ subject: "outage" }), "ERR_STORE_UNAVAILABLE");
			assert.is(await generation(first.sessionId), 1);
			proxy.mode = "pass";
			const third = await service.exchange(second.refreshToken);
			assert.is(await generation(first.sessionId), 2);
			assert.ok(await service.exchange(third.refreshToken));
		} finally {
			await proxy.close();
		}
	});

	test("a store call that hangs times out as ERR_STORE_UNAVAILABLE and changes nothing", async () => {
		const proxy = new ToggleProxy(server.port);
		const port = await proxy.listen();
		try {
			const proxied = new URL(url);
			proxied.port = String(port);
			const clock = manualClock();
			const service = serviceOn(drizzleStore(pool(proxied.toString(), { max: 1 })), clock, [], { storeTimeout: "300ms" });
			const first = await service.issue({ subject: "hang" });
			proxy.mode = "blackhole";
			await rejects(service.exchange(first.refreshToken), "ERR_STORE_UNAVAILABLE");
			assert.is(await generation(first.sessionId), 0);
			proxy.mode = "pass";
			proxy.dropAll(); // the stuck connection dies; the pool opens a fresh one
			const second = await service.exchange(first.refreshToken);
			assert.is(await generation(first.sessionId), 1);
			assert.ok(await service.exchange(second.refreshToken));
		} finally {
			await proxy.close();
		}
	});

	test("a rotation that committed but whose answer was lost is healed by the retry: the same successor, not reuse", async () => {
		const proxy = new ToggleProxy(server.port);
		const port = await proxy.listen();
		try {
			const proxied = new URL(url);
			proxied.port = String(port);
			const clock = manualClock();
			const service = serviceOn(drizzleStore(pool(proxied.toString(), { max: 1 })), clock, []);
			const first = await service.issue({ subject: "lost-answer" });
			const second = await service.exchange(first.refreshToken); // prepares the statement on the connection
			proxy.mode = "swallow-responses";
			await rejects(service.exchange(second.refreshToken), "ERR_STORE_UNAVAILABLE");
			// The rotation did commit: only its answer was lost.
			assert.is(await generation(first.sessionId), 2);
			proxy.mode = "pass";
			const healed = await service.exchange(second.refreshToken);
			assert.is(await generation(first.sessionId), 2);
			const parts = parseRefreshToken(healed.refreshToken);
			assert.ok(parts);
			assert.equal((await drizzleStore(adminDb).findSession(first.sessionId))?.tokenHash, storedHash(healed.refreshToken));
			assert.ok(await service.exchange(healed.refreshToken));
			assert.is(await generation(first.sessionId), 3);
		} finally {
			await proxy.close();
		}
	});

	test("statement_timeout while the row is locked elsewhere: ERR_STORE_UNAVAILABLE, then the token works", async () => {
		const clock = manualClock();
		const service = serviceOn(drizzleStore(pool(url, { max: 1, connection: { statement_timeout: 200 } })), clock, []);
		const first = await service.issue({ subject: "timeout" });
		let release!: () => void;
		const released = new Promise<void>((resolve) => (release = resolve));
		let locked!: () => void;
		const isLocked = new Promise<void>((resolve) => (locked = resolve));
		const holder = admin.begin(async (tx) => {
			await tx`select 1 from refresh_kit_sessions where id = ${first.sessionId} for update`;
			locked();
			await released;
		});
		await isLocked;
		const error = await rejects(service.exchange(first.refreshToken), "ERR_STORE_UNAVAILABLE");
		release();
		await holder;
		assert.is(findCode(error), "57014"); // query_canceled by statement_timeout
		assert.is(await generation(first.sessionId), 0);
		assert.ok(await service.exchange(first.refreshToken));
	});

	test("serialization failures and deadlocks are retried inside the store, up to its limit", async () => {
		const clock = manualClock();
		// A trigger that fails the first N updates with the given SQLSTATE. nextval() is not
		// transactional, so the counter survives the aborted statements.
		await admin.unsafe(`
			create sequence if not exists rk_fail_counter;
			create table if not exists rk_fail_plan (code text not null, times int not null);
			create or replace function rk_fail() returns trigger language plpgsql as $$
			declare plan rk_fail_plan;
			begin
				select * into plan from rk_fail_plan limit 1;
				if plan is not null and nextval('rk_fail_counter') <= plan.times then
					raise exception 'injected failure' using errcode = plan.code;
				end if;
				return new;
			end $$;
			drop trigger if exists rk_fail on refresh_kit_sessions;
			create trigger rk_fail before update on refresh_kit_sessions for each row execute function rk_fail();`);
		async function plan(code: string, times: number): Promise<void> {
			await admin.unsafe(`truncate rk_fail_plan; insert into rk_fail_plan values ('${code}', ${times}); select setval('rk_fail_counter', 1, false);`);
		}
		try {
			const db = pool(url, { max: 2 });
			const service = serviceOn(drizzleStore(db, { retries: 3 }), clock, []);
			const first = await service.issue({ subject: "retry" });
			await plan("40001", 3);
			const second = await service.exchange(first.refreshToken);
			await plan("40P01", 3);
			const third = await service.exchange(second.refreshToken);
			assert.is(await generation(first.sessionId), 2);
			await plan("40P01", 4); // one more than the store retries
			const error = await rejects(service.exchange(third.refreshToken), "ERR_STORE_UNAVAILABLE");
			assert.is(findCode(error), "40P01");
			assert.is(await generation(first.sessionId), 2);
			await plan("40001", 0);
			assert.ok(await service.exchange(third.refreshToken));
			// Other errors are not retried.
			await plan("23514", 1);
			const check = await rejects(serviceOn(drizzleStore(db, { retries: 3 }), clock, []).exchange((await service.issue({ subject: "retry" })).refreshToken), "ERR_STORE_UNAVAILABLE");
			assert.is(findCode(check), "23514");
		} finally {
			await admin.unsafe("drop trigger if exists rk_fail on refresh_kit_sessions; drop table if exists rk_fail_plan; drop sequence if exists rk_fail_counter;");
		}
	});

	test.run();
}

function findCode(error: unknown): string | undefined {
	for (let current = error, depth = 0; typeof current === "object" && current !== null && depth < 6; depth++) {
		const code = (current as { code?: unknown }).code;
		if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}
