import { sql } from "drizzle-orm";
import { assertSupportedDatabase, type DrizzleDatabase } from "./driver.js";
import { MIGRATIONS } from "./migrations.js";

/** Options of {@link migrate}. */
export interface MigrateOptions {
	/**
	 * A folder of drizzle-kit migrations (`meta/_journal.json` and the `.sql` files) to apply
	 * instead of the package's own. Read with Node's file system, which is loaded only when this
	 * is given. Default: the migrations of the package's `drizzle/` folder, built into the code.
	 */
	migrationsFolder?: string;
}

/** One migration of a drizzle-kit folder, as drizzle-orm's `readMigrationFiles` reads it. */
export interface ShippedMigration {
	/** The file's name in the folder, without `.sql`. */
	readonly tag: string;
	/** The journal's `when`: the migration's place in the order, recorded in the journal table. */
	readonly folderMillis: number;
	/** SHA-256 of the file, hex. */
	readonly hash: string;
	/** The file split at drizzle-kit's `--> statement-breakpoint` markers. */
	readonly sql: readonly string[];
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
 * the app's Drizzle migrations. The migrations are built into the code, so it needs no file
 * system (edge runtimes) unless given `migrationsFolder`.
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
	const migrations = options.migrationsFolder === undefined ? MIGRATIONS : await readMigrationFolder(options.migrationsFolder);
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

/** A migrations folder as drizzle-orm reads it; its migrator module reads the file system, hence the dynamic import. */
async function readMigrationFolder(folder: string): Promise<readonly Pick<ShippedMigration, "folderMillis" | "hash" | "sql">[]> {
	const { readMigrationFiles } = await import("drizzle-orm/migrator");
	return readMigrationFiles({ migrationsFolder: folder });
}
