import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { assertSupportedDatabase, type DrizzleDatabase } from "./store.js";

/** Options of {@link migrate}. */
export interface MigrateOptions {
	/** Where the SQL migrations are. Default: the `drizzle/` folder shipped in the package. */
	migrationsFolder?: string;
}

/** pg_advisory_xact_lock(int, int) key that serializes concurrent migrate() calls ("RKM1", 0). */
const MIGRATION_LOCK = [0x524b4d31, 0] as const;
const MIGRATIONS_SCHEMA = "drizzle";
// Not drizzle's own `__drizzle_migrations`: drizzle decides what to apply from the newest row
// there, so sharing it with the app's migrations would skip ours (or theirs).
const MIGRATIONS_TABLE = "__refresh_kit_migrations";

/**
 * Creates or upgrades the refresh-kit tables. Idempotent, and safe when several instances
 * run it at once: one transaction under an advisory lock, so the others wait and then find
 * nothing left to do. Keeps its own journal (`drizzle.__refresh_kit_migrations`), apart from
 * the app's Drizzle migrations.
 *
 * @example
 * ```ts
 * import { drizzle } from "drizzle-orm/postgres-js";
 * import postgres from "postgres";
 * import { migrate } from "refresh-kit/storage/drizzle";
 *
 * await migrate(drizzle(postgres(process.env.DATABASE_URL!)));
 * ```
 */
export async function migrate(db: DrizzleDatabase, options: MigrateOptions = {}): Promise<void> {
	assertSupportedDatabase(db);
	const migrations = readMigrationFiles({ migrationsFolder: options.migrationsFolder ?? shippedMigrationsFolder() });
	await db.transaction(async (tx) => {
		// A server-wide statement_timeout must not cut a migration (an index build) short.
		await tx.execute(sql`select set_config('statement_timeout', '0', true)`);
		await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK[0]}::int, ${MIGRATION_LOCK[1]}::int)`);
		await tx.execute(sql`create schema if not exists ${sql.identifier(MIGRATIONS_SCHEMA)}`);
		const journal = sql`${sql.identifier(MIGRATIONS_SCHEMA)}.${sql.identifier(MIGRATIONS_TABLE)}`;
		await tx.execute(sql`create table if not exists ${journal} (id serial primary key, hash text not null, created_at bigint)`);
		const result = await tx.execute(sql`select coalesce(max(created_at), 0)::text as last from ${journal}`);
		const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{ last: string }>;
		const last = Number(rows[0]?.last ?? 0);
		for (const migration of migrations) {
			if (migration.folderMillis <= last) continue;
			for (const statement of migration.sql) {
				if (statement.trim() !== "") await tx.execute(sql.raw(statement));
			}
			await tx.execute(sql`insert into ${journal} (hash, created_at) values (${migration.hash}, ${migration.folderMillis})`);
		}
	});
}

/**
 * The `drizzle/` folder of this package: two levels up from the source (storage/drizzle/) and
 * from the built entry (dist/storage/), one level up from a shared chunk in dist/.
 */
function shippedMigrationsFolder(): string {
	for (const relative of ["./drizzle/", "../drizzle/", "../../drizzle/"]) {
		const folder = fileURLToPath(new URL(relative, import.meta.url));
		if (existsSync(join(folder, "meta", "_journal.json"))) return folder;
	}
	throw new Error("refresh-kit: the shipped drizzle/ migrations folder was not found; pass migrationsFolder");
}
