// The Drizzle store on a real PostgreSQL server (the throwaway one from tests/support/postgres.ts,
// or DATABASE_URL). "Instances" are separate postgres.js pools, as separate app processes would
// have them, so the race cases here run with real concurrency.
import { sql } from "drizzle-orm";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { TokenStore } from "../../core/port.js";
import { drizzleStore, migrate } from "../../storage/drizzle/index.js";
import { createDatabase, postgresOrSkip } from "../support/postgres.js";
import { lifecycleCases, raceCases, storeCases, type DrizzleFixture } from "./drizzle-cases.js";
import { storeSuites } from "./service-cases.js";

const server = await postgresOrSkip();

if (server !== null) {
	let url: string | null = null;
	const pools: Array<{ client: postgres.Sql; db: PostgresJsDatabase; store: TokenStore }> = [];

	function pool(index: number): TokenStore {
		while (pools.length <= index) {
			const client = postgres(url as string, { max: 8, onnotice: () => {}, idle_timeout: 20, fetch_types: false });
			const db = drizzle(client);
			pools.push({ client, db, store: drizzleStore(db) });
		}
		return (pools[index] as { store: TokenStore }).store;
	}

	// Opened once; a failure is kept, so every suite that asks again fails with the same message.
	let opening: Promise<void> | null = null;
	const fixture: DrizzleFixture = {
		setup() {
			opening ??= (async () => {
				url = await createDatabase("rk_storage_postgres");
				pool(0);
				await migrate((pools[0] as { db: PostgresJsDatabase }).db);
			})();
			return opening;
		},
		async reset() {
			await (pools[0] as { db: PostgresJsDatabase }).db.execute(sql`truncate refresh_kit_sessions`);
		},
		async teardown() {},
		store: () => pool(0),
		stores: (count) => Array.from({ length: count }, (_, i) => pool(i)),
	};

	// The store contract as shipped and the service over the store, the table emptied before
	// every case. Their races run on one pool of 8 connections.
	storeSuites("drizzleStore on PostgreSQL", async () => {
		await fixture.setup();
		return { store: fixture.store(), reset: () => fixture.reset() };
	});
	storeCases("postgres", fixture);
	lifecycleCases("postgres", fixture);
	raceCases("postgres", { ...fixture, teardown: closePools }, { concurrency: 240, instances: 4 });

	async function closePools(): Promise<void> {
		await Promise.all(pools.splice(0).map((entry) => entry.client.end({ timeout: 5 })));
	}
}
