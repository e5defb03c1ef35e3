// Rotation batching on a real PostgreSQL server: concurrent exchanges share one statement (and
// one round trip), each gets its own answer, and a batch that fails (an error in the statement, a
// backend terminated mid-statement, a serialization failure) fails every exchange in it with
// ERR_STORE_UNAVAILABLE, changes nothing, and every token still works afterwards. The batcher's
// scheduling is covered without a database in batch.test.ts; the contract, the races and the
// store cases run batched and unbatched in postgres.test.ts, pglite.test.ts and
// drizzle-concurrency.test.ts.
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { isTokenError, type TokenSet } from "../../core/index.js";
import { drizzleStore, migrate } from "../../storage/drizzle/index.js";
import { manualClock } from "../helpers.js";
import { createDatabase, postgresOrSkip } from "../support/postgres.js";
import { serviceOn } from "./drizzle-cases.js";

const server = await postgresOrSkip();

/** The first words of each statement kind, as the drizzle logger sees them. */
const SINGLE = 'with "updated" as';
const BATCH = "with input as";

if (server !== null) {
	const test = suite("postgres: batched rotations");
	const clients: postgres.Sql[] = [];
	let url = "";
	let admin: postgres.Sql | null = null;

	/** A pool whose statements are logged into `log`. */
	function pool(log: string[], options: postgres.Options<Record<string, postgres.PostgresType>> = {}): PostgresJsDatabase {
		const client = postgres(url, { max: 4, onnotice: () => {}, idle_timeout: 20, fetch_types: false, ...options });
		clients.push(client);
		return drizzle(client, { logger: { logQuery: (query) => void log.push(query) } });
	}

	async function generations(tokens: TokenSet[]): Promise<number[]> {
		const rows = await (admin as postgres.Sql)`select id::text, generation from refresh_kit_sessions where id = any(${tokens.map((t) => t.sessionId)}::uuid[])`;
		const byId = new Map(rows.map((row) => [row.id as string, row.generation as number]));
		return tokens.map((t) => byId.get(t.sessionId) ?? -1);
	}

	// Opened by the first test, not in before(): uvu swallows errors thrown by before().
	async function open(): Promise<postgres.Sql> {
		if (admin !== null) return admin;
		url = await createDatabase("rk_storage_batch");
		admin = postgres(url, { max: 2, onnotice: () => {} });
		await migrate(drizzle(admin));
		return admin;
	}

	test.after(async () => {
		await Promise.all(clients.splice(0).map((client) => client.end({ timeout: 2 })));
		await admin?.end({ timeout: 5 });
	});

	test("20 exchanges started together: one statement, one round trip, each its own successor", async () => {
		await open();
		const log: string[] = [];
		const service = serviceOn(drizzleStore(pool(log), { batch: { maxInFlight: 1 } }), manualClock(), []);
		const issued = await Promise.all(Array.from({ length: 20 }, (_, i) => service.issue({ subject: `crowd-${i}` })));
		log.length = 0;
		const next = await Promise.all(issued.map((tokens) => service.exchange(tokens.refreshToken)));
		assert.is(log.length, 1, `statements: ${log.map((query) => query.slice(0, 20)).join(" | ")}`);
		assert.ok(log[0]?.startsWith(BATCH));
		assert.equal(
			await generations(issued),
			issued.map(() => 1),
		);
		assert.is(new Set(next.map((tokens) => tokens.refreshToken)).size, 20);
		for (const [i, tokens] of next.entries()) {
			assert.is(tokens.sessionId, issued[i]?.sessionId);
			assert.is((await service.verify(tokens.accessToken)).sub, `crowd-${i}`);
		}
		// A lone exchange on an idle store takes the one-row statement.
		log.length = 0;
		await service.exchange((next[0] as TokenSet).refreshToken);
		assert.ok(log[0]?.startsWith(SINGLE) && log.length === 1);
	});

	test("a batch whose statement fails: every exchange in it gets ERR_STORE_UNAVAILABLE, nothing changed, every token still works", async () => {
		const sql = await open();
		const log: string[] = [];
		const service = serviceOn(drizzleStore(pool(log), { batch: { maxInFlight: 1 } }), manualClock(), []);
		const issued = await Promise.all(["poison", "a", "b", "c", "d", "e"].map((subject) => service.issue({ subject })));
		// One row of the batch violates a check: the whole statement fails (23514 is not retried).
		await sql.unsafe(`
			create or replace function rk_poison() returns trigger language plpgsql as $$
			begin if new.subject = 'poison' then raise exception 'poisoned row' using errcode = '23514'; end if; return new; end $$;
			create trigger rk_poison before update on refresh_kit_sessions for each row execute function rk_poison();`);
		try {
			log.length = 0;
			const outcomes = await Promise.allSettled(issued.map((tokens) => service.exchange(tokens.refreshToken)));
			assert.is(log.length, 1, "one statement");
			assert.ok(
				outcomes.every((o) => o.status === "rejected" && isTokenError(o.reason, "ERR_STORE_UNAVAILABLE")),
				JSON.stringify(outcomes.map((o) => o.status)),
			);
			assert.equal(await generations(issued), [0, 0, 0, 0, 0, 0], "nothing half-applied");
		} finally {
			await sql.unsafe("drop trigger if exists rk_poison on refresh_kit_sessions; drop function if exists rk_poison();");
		}
		const retried = await Promise.all(issued.map((tokens) => service.exchange(tokens.refreshToken)));
		assert.equal(await generations(issued), [1, 1, 1, 1, 1, 1]);
		assert.is(new Set(retried.map((tokens) => tokens.refreshToken)).size, 6);
	});

	test("a backend terminated while it runs a batch: every exchange in it fails, nothing changed, the same tokens work", async () => {
		const sql = await open();
		const service = serviceOn(drizzleStore(pool([], { max: 1, connection: { application_name: "rk-batch-victim" } }), { batch: { maxInFlight: 1 } }), manualClock(), []);
		const issued = await Promise.all(Array.from({ length: 8 }, (_, i) => service.issue({ subject: `victim-${i}` })));
		await sql.unsafe(`
			create or replace function rk_slow() returns trigger language plpgsql as $$ begin perform pg_sleep(0.05); return new; end $$;
			create trigger rk_slow before update on refresh_kit_sessions for each row execute function rk_slow();`);
		let outcomes: PromiseSettledResult<TokenSet>[];
		try {
			const pending = Promise.allSettled(issued.map((tokens) => service.exchange(tokens.refreshToken)));
			// Kill the backend once it is inside the statement (8 rows × 50 ms).
			for (let i = 0; i < 200; i++) {
				const [row] = await sql`select count(*)::int as n from pg_stat_activity where application_name = 'rk-batch-victim' and state = 'active' and query like ${`${BATCH}%`}`;
				if ((row?.n ?? 0) > 0) break;
				await new Promise((resolve) => setTimeout(resolve, 5));
			}
			await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'rk-batch-victim'`;
			outcomes = await pending;
		} finally {
			await sql.unsafe("drop trigger if exists rk_slow on refresh_kit_sessions; drop function if exists rk_slow();");
		}
		assert.ok(
			outcomes.every((o) => o.status === "rejected" && isTokenError(o.reason, "ERR_STORE_UNAVAILABLE")),
			JSON.stringify(outcomes.map((o) => o.status)),
		);
		assert.equal(
			await generations(issued),
			issued.map(() => 0),
		);
		// As a client does: retry ERR_STORE_UNAVAILABLE with the same token. (The first attempt on the
		// reopened connection can still fail: postgres.js may read the dead backend's last message.)
		const retried: TokenSet[] = [];
		for (const tokens of issued) {
			for (let attempt = 1; ; attempt++) {
				try {
					retried.push(await service.exchange(tokens.refreshToken));
					break;
				} catch (error) {
					if (!isTokenError(error, "ERR_STORE_UNAVAILABLE") || attempt === 3) throw error;
				}
			}
		}
		assert.equal(
			await generations(issued),
			issued.map(() => 1),
		);
		assert.is(new Set(retried.map((tokens) => tokens.refreshToken)).size, 8);
	});

	test("a batch aborted by a serialization failure is run again as a whole, and every exchange succeeds once", async () => {
		const sql = await open();
		const log: string[] = [];
		const service = serviceOn(drizzleStore(pool(log), { batch: { maxInFlight: 1 }, retries: 3 }), manualClock(), []);
		const issued = await Promise.all(Array.from({ length: 5 }, (_, i) => service.issue({ subject: `serial-${i}` })));
		// The first two executions fail with 40001 (the sequence survives the aborted statements).
		await sql.unsafe(`
			create sequence if not exists rk_batch_fail;
			create or replace function rk_fail_twice() returns trigger language plpgsql as $$
			begin if nextval('rk_batch_fail') <= 2 then raise exception 'injected' using errcode = '40001'; end if; return new; end $$;
			create trigger rk_fail_twice before update on refresh_kit_sessions for each row execute function rk_fail_twice();`);
		try {
			log.length = 0;
			const next = await Promise.all(issued.map((tokens) => service.exchange(tokens.refreshToken)));
			assert.is(log.length, 3, "the statement ran three times");
			assert.ok(log.every((query) => query.startsWith(BATCH)));
			assert.equal(await generations(issued), [1, 1, 1, 1, 1]);
			assert.is(new Set(next.map((tokens) => tokens.refreshToken)).size, 5);
		} finally {
			await sql.unsafe("drop trigger if exists rk_fail_twice on refresh_kit_sessions; drop function if exists rk_fail_twice(); drop sequence if exists rk_batch_fail;");
		}
	});

	test("replays of one token from many callers at once: batched as calls one after the other, all get the one successor", async () => {
		await open();
		const log: string[] = [];
		const clock = manualClock();
		const service = serviceOn(drizzleStore(pool(log), { batch: { maxInFlight: 2 } }), clock, []);
		const first = await service.issue({ subject: "fan-out" });
		const others = await Promise.all(Array.from({ length: 10 }, (_, i) => service.issue({ subject: `bystander-${i}` })));
		const results = await Promise.all([...Array.from({ length: 30 }, () => service.exchange(first.refreshToken)), ...others.map((tokens) => service.exchange(tokens.refreshToken))]);
		assert.is(new Set(results.slice(0, 30).map((tokens) => tokens.refreshToken)).size, 1);
		assert.equal(
			await generations([first, ...others]),
			Array.from({ length: 11 }, () => 1),
		);
		assert.ok(
			(results.slice(0, 30) as TokenSet[]).every((tokens) => tokens.sessionId === first.sessionId),
			"every replay belongs to the session",
		);
	});

	test.run();
}
