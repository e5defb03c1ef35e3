import { TokenError } from "../../core/errors.js";
import type { TokenStore } from "../../core/port.js";
import type { DrizzleDatabase } from "./driver.js";
import { migrate } from "./migrate.js";
import { type DrizzleStoreOptions, drizzleStore } from "./store.js";

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
	/** postgres.js pool size. Default 10. */
	maxConnections?: number;
	/** Rotation batching, as {@link drizzleStore}'s `batch` option. Default: on. */
	batch?: DrizzleStoreOptions["batch"];
}

/** A store that owns its database connection: {@link openStore}'s result. */
export interface OpenedStore extends TokenStore {
	/** The Drizzle database behind the store (for your own queries, or `migrate`). */
	readonly db: DrizzleDatabase;
	/** Closes the pool (postgres.js) or the embedded database (PGlite). */
	close(): Promise<void>;
}

/** Where `openStore()` keeps the embedded database when given no URL (relative to the working directory). */
export const DEFAULT_PGLITE_DIRECTORY = ".data/refresh-kit";

/**
 * Opens a database, applies the migrations and returns a store over it:
 * - `postgres://…` (or `postgresql://…`): postgres.js with a small pool, prepared statements, and
 *   server-side timeouts so that a stuck statement fails instead of holding a connection;
 * - no URL, or `pglite://<dir>`: the embedded PGlite, file-backed (default `.data/refresh-kit`);
 * - `pglite://memory`: PGlite in memory, gone when closed.
 *
 * The drivers are optional peer dependencies: install `postgres` or `@electric-sql/pglite`.
 *
 * @example
 * ```ts
 * import { createTokenService } from "refresh-kit";
 * import { openStore } from "refresh-kit/storage/drizzle";
 *
 * const store = await openStore(process.env.DATABASE_URL); // PGlite under .data/ when unset
 * const service = createTokenService({ store, keys: { secret }, issuer, audience });
 * // … on shutdown: await store.close();
 * ```
 */
export async function openStore(url?: string, options: OpenStoreOptions = {}): Promise<OpenedStore> {
	const target = url === undefined || url === "" ? `pglite://${DEFAULT_PGLITE_DIRECTORY}` : url;
	if (/^postgres(ql)?:\/\//i.test(target)) return openPostgres(target, options);
	if (target.startsWith("pglite://")) return openPglite(target.slice("pglite://".length), options);
	// The URL may carry a password: never echo it.
	throw new TokenError("ERR_CONFIG_INVALID", "openStore: the URL must start with postgres://, postgresql:// or pglite://");
}

async function openPostgres(url: string, options: OpenStoreOptions): Promise<OpenedStore> {
	const max = options.maxConnections ?? 10;
	if (!Number.isSafeInteger(max) || max < 1) throw new TokenError("ERR_CONFIG_INVALID", "openStore: maxConnections must be a positive integer");
	const [{ default: postgres }, { drizzle }] = await Promise.all([import("postgres"), import("drizzle-orm/postgres-js")]);
	const client = postgres(url, {
		max,
		idle_timeout: 60,
		connect_timeout: 10,
		max_lifetime: 30 * 60,
		prepare: true,
		// postgres.js runs a pg_type query on every new connection to learn array types, and drops
		// its promise: a backend terminated (or timed out) during it crashes the process with an
		// unhandled rejection (porsager/postgres#1192, #1223). The store binds no arrays.
		fetch_types: false,
		// postgres.js's default reconnect delay grows pool-wide while the server is down, so after
		// an outage clients kept getting 503s, and refreshes retried past reuseGrace became reuse
		// (tests/reliability/postgres-crash.long.ts; the figures are in docs/postgres-store.md).
		// Retry within a second.
		backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 1),
		onnotice: () => {},
		connection: {
			application_name: "refresh-kit",
			// Every store statement touches a handful of rows by index; one that runs this long is
			// stuck on a lock or an overloaded server and should fail (the service reports
			// ERR_STORE_UNAVAILABLE) rather than hold a pooled connection.
			statement_timeout: 15_000,
			idle_in_transaction_session_timeout: 60_000,
		},
	});
	const db = drizzle(client);
	try {
		await migrate(db);
	} catch (error) {
		await client.end({ timeout: 5 });
		throw error;
	}
	return { ...drizzleStore(db, storeOptions(options)), db, close: () => client.end({ timeout: 5 }) };
}

function storeOptions(options: OpenStoreOptions): DrizzleStoreOptions {
	return options.batch === undefined ? {} : { batch: options.batch };
}

async function openPglite(location: string, options: OpenStoreOptions): Promise<OpenedStore> {
	const [{ PGlite }, { drizzle }] = await Promise.all([import("@electric-sql/pglite"), import("drizzle-orm/pglite")]);
	let client: InstanceType<typeof PGlite>;
	if (location === "memory") {
		client = new PGlite();
	} else {
		// Node's file system only here, so that importing this module needs none (edge runtimes).
		const [{ mkdir }, { resolve }] = await Promise.all([import("node:fs/promises"), import("node:path")]);
		const directory = resolve(location === "" ? DEFAULT_PGLITE_DIRECTORY : location);
		await mkdir(directory, { recursive: true });
		client = new PGlite(directory);
	}
	const db = drizzle(client);
	try {
		await migrate(db);
	} catch (error) {
		await client.close();
		throw error;
	}
	return { ...drizzleStore(db, storeOptions(options)), db, close: () => client.close() };
}
