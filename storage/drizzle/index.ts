/**
 * The PostgreSQL store: Drizzle over postgres.js in production, the embedded PGlite for
 * zero-setup apps and tests. One table, `refresh_kit_sessions`, one row per session; the
 * SQL migrations (`drizzle/`) are built into the code. Web-safe to import (edge runtimes): Node's
 * builtins load only when called, for a file-backed PGlite or `migrate`'s `migrationsFolder`.
 *
 * @example
 * ```ts
 * import { createTokenService } from "refresh-kit";
 * import { openStore } from "refresh-kit/storage/drizzle";
 *
 * const store = await openStore("postgres://app@db.internal/app"); // migrations applied
 * const service = createTokenService({ store, keys: { secret }, issuer, audience });
 * ```
 * @module
 */

export type { RotationBatchOptions } from "./batch.js";
export type { DrizzleDatabase } from "./driver.js";
export type { MigrateOptions } from "./migrate.js";
export { migrate } from "./migrate.js";
export type { OpenedStore, OpenStoreOptions } from "./open.js";
export { DEFAULT_PGLITE_DIRECTORY, openStore } from "./open.js";
export type { RefreshKitSessionRow } from "./schema.js";
export { refreshKitSessions } from "./schema.js";
export type { DrizzleStoreOptions } from "./store.js";
export { drizzleStore } from "./store.js";
