// The driver glue: the one module that knows Drizzle's internals and the drivers' error shapes.
// When a Drizzle upgrade breaks the store, the break is here (see the peer range in package.json).
import { entityKind, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { TokenError } from "../../core/errors.js";

/**
 * A Drizzle PostgreSQL database: `drizzle(postgres(url))` from `drizzle-orm/postgres-js` or
 * `drizzle(new PGlite())` from `drizzle-orm/pglite`. Other drivers are refused at construction.
 */
// `any` for the schema parameters: the app's database may declare any relational schema.
// biome-ignore lint/suspicious/noExplicitAny: Drizzle's own default for an unknown schema; `unknown` does not satisfy its constraints.
export type DrizzleDatabase = PgDatabase<PgQueryResultHKT, any, any>;

/** A transaction of a {@link DrizzleDatabase}, as `db.transaction(async (tx) => …)` passes it. */
export type DrizzleTransaction = Parameters<Parameters<DrizzleDatabase["transaction"]>[0]>[0];

/**
 * The drivers whose sessions give one-statement atomic rotation and real transactions, each
 * with a check that a real client is attached (drizzle.mock() has none).
 */
const SUPPORTED_DRIVERS = new Map<string, (client: unknown) => boolean>([
	["PostgresJsDatabase", (client) => typeof client === "function" && typeof (client as { begin?: unknown }).begin === "function"],
	["PgliteDatabase", (client) => typeof client === "object" && client !== null && typeof (client as { transaction?: unknown }).transaction === "function"],
]);

/** Throws ERR_CONFIG_INVALID unless `db` is a postgres.js or PGlite Drizzle database. */
export function assertSupportedDatabase(db: unknown): asserts db is DrizzleDatabase {
	const kind = typeof db === "object" && db !== null ? (db.constructor as { [entityKind]?: unknown })[entityKind] : undefined;
	const hasClient = typeof kind === "string" ? SUPPORTED_DRIVERS.get(kind) : undefined;
	if (hasClient === undefined || !hasClient((db as { $client?: unknown }).$client)) {
		throw new TokenError("ERR_CONFIG_INVALID", "drizzleStore needs a drizzle-orm/postgres-js or drizzle-orm/pglite database: other drivers cannot guarantee atomic rotation and transactions");
	}
}

/** How many statements the database runs at once: the postgres.js pool's `max`; 1 on PGlite (one connection). */
export function connectionCount(db: DrizzleDatabase): number {
	const max = ((db as { $client?: { options?: { max?: unknown } } }).$client?.options?.max ?? 1) as unknown;
	return typeof max === "number" && Number.isSafeInteger(max) && max >= 1 ? max : 1;
}

/** A prepared statement whose rows are the driver's arrays, one value per returned column. */
export interface RawStatement {
	execute(params: Record<string, unknown>): Promise<unknown[][]>;
}

/**
 * A named prepared statement whose rows come back as the driver's arrays, read by position:
 * Drizzle's generic mapping (entity checks and a decoder call per column) cost more than the
 * rest of the store. Still a Drizzle prepared query, so the app's Drizzle logger sees it and its
 * errors look like those of any other statement. `params` names the placeholders `$1`, `$2`, …
 * in order.
 */
export function rawStatement(db: DrizzleDatabase, name: string, text: string, params: readonly string[]): RawStatement {
	return db._.session.prepareQuery<{ execute: unknown[][]; all: unknown; values: unknown }>({ sql: text, params: params.map((param) => sql.placeholder(param)) }, undefined, name, true, (rows) => rows);
}

/** The SQLSTATE of a driver error, also when Drizzle wrapped it (DrizzleQueryError.cause). */
export function sqlState(error: unknown): string | undefined {
	for (let current = error, depth = 0; typeof current === "object" && current !== null && depth < 5; depth++) {
		const code = (current as { code?: unknown }).code;
		if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}

/** Serialization failure and deadlock: PostgreSQL aborted the statement, so it changed nothing. */
const RETRYABLE_STATES = new Set(["40001", "40P01"]);

/**
 * Runs `operation`, and again (up to `retries` more times) while it fails with a serialization
 * failure or a deadlock; every other error is thrown at once.
 */
export async function withRetries<T>(retries: number, operation: () => Promise<T>): Promise<T> {
	for (let attempt = 0; ; attempt++) {
		try {
			return await operation();
		} catch (error) {
			const state = sqlState(error);
			if (attempt >= retries || state === undefined || !RETRYABLE_STATES.has(state)) throw error;
			// Jittered backoff so that the transactions that collided do not collide again.
			await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** attempt));
		}
	}
}
