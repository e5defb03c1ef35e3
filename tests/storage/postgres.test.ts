// The Drizzle store on a real PostgreSQL server (the throwaway one from tests/support/postgres.ts,
// or DATABASE_URL). "Instances" are separate postgres.js pools, as separate app processes would
// have them, so the race cases here run with real concurrency. Everything runs twice: with
// rotation batching (the default; here at most 2 statements in flight per pool, so that
// concurrent rotations really share statements) and with one statement per rotation.
import { sql } from "drizzle-orm";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { TokenStore } from "../../core/port.js";
import { type DrizzleStoreOptions, drizzleStore, migrate } from "../../storage/drizzle/index.js";
import { createDatabase, postgresOrSkip } from "../support/postgres.js";
import { BATCH_MODES, type DrizzleFixture, lifecycleCases, raceCases, storeCases } from "./drizzle-cases.js";
import { storeSuites } from "./service-cases.js";

const server = await postgresOrSkip();

if (server !== null) {
	let url: string | null = null;
	const pools: Array<{ client: postgres.Sql; db: PostgresJsDatabase }> = [];

	function pool(index: number): PostgresJsDatabase {
		while (pools.length <= index) {
			const client = postgres(url as string, { max: 8, onnotice: () => {}, idle_timeout: 20, fetch_types: false });
			pools.push({ client, db: drizzle(client) });
		}
		return (pools[index] as { db: PostgresJsDatabase }).db;
	}

	// Opened once; a failure is kept, so every suite that asks again fails with the same message.
	let opening: Promise<void> | null = null;
	function setup(): Promise<void> {
		opening ??= (async () => {
			url = await createDatabase("rk_storage_postgres");
			await migrate(pool(0));
		})();
		return opening;
	}

	async function closePools(): Promise<void> {
		await Promise.all(pools.splice(0).map((entry) => entry.client.end({ timeout: 5 })));
		url = null;
		opening = null;
	}

	for (const [index, mode] of BATCH_MODES.entries()) {
		const last = index === BATCH_MODES.length - 1;
		const options: DrizzleStoreOptions = { batch: mode.batch };
		const stores = new Map<number, TokenStore>();
		function store(index: number): TokenStore {
			let found = stores.get(index);
			if (found === undefined) {
				found = drizzleStore(pool(index), options);
				stores.set(index, found);
			}
			return found;
		}
		const fixture: DrizzleFixture = {
			async setup() {
				await setup();
			},
			async reset() {
				await pool(0).execute(sql`truncate refresh_kit_sessions`);
			},
			async teardown() {},
			store: () => store(0),
			stores: (count) => Array.from({ length: count }, (_, i) => store(i)),
			logged: (log) => drizzleStore(drizzle((pools[0] as { client: postgres.Sql }).client, { logger: { logQuery: (query) => void log.push(query) } }), options),
		};
		const label = `postgres, ${mode.label}`;
		// The store contract as shipped and the service over the store, the table emptied before
		// every case. Their races run on one pool of 8 connections.
		storeSuites(`drizzleStore on PostgreSQL, ${mode.label}`, async () => {
			await fixture.setup();
			return { store: fixture.store(), reset: () => fixture.reset() };
		});
		storeCases(label, fixture, { batched: mode.batch !== false });
		if (index === 0) lifecycleCases(label, fixture);
		// The pools serve both modes; the last suite closes them.
		raceCases(label, { ...fixture, teardown: last ? closePools : fixture.teardown }, { concurrency: 240, instances: 4 });
	}
}
