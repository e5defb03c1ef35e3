// What lets `refresh-kit/storage/drizzle` load on an edge runtime: the migrations built into the
// code match drizzle/ exactly, and no Node builtin is reachable from the entry through static
// imports (scripts/check-edge-imports.mjs, which these tests also show can fail).
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { drizzle } from "drizzle-orm/pglite";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { migrate } from "../../storage/drizzle/index.js";
import { MIGRATIONS } from "../../storage/drizzle/migrations.js";

const run = promisify(execFile);

/** Runs a script of scripts/ with node; its exit code and output. */
async function script(name: string, args: string[]): Promise<{ code: number; output: string }> {
	try {
		const { stdout, stderr } = await run(process.execPath, [join("scripts", name), ...args]);
		return { code: 0, output: stdout + stderr };
	} catch (error) {
		const failed = error as { code?: number; stdout?: string; stderr?: string };
		return { code: failed.code ?? -1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
	}
}

const test = suite("drizzle: embedded migrations, migrationsFolder, edge-safe imports");

test("the embedded migrations are drizzle/ as drizzle-orm reads it: statements, hashes, order", () => {
	const folder = readMigrationFiles({ migrationsFolder: "drizzle" });
	const journal = JSON.parse(readFileSync(join("drizzle", "meta", "_journal.json"), "utf8")) as { entries: Array<{ tag: string }> };
	assert.equal(
		MIGRATIONS.map(({ folderMillis, hash, sql }) => ({ folderMillis, hash, sql })),
		folder.map(({ folderMillis, hash, sql }) => ({ folderMillis, hash, sql })),
	);
	assert.equal(
		MIGRATIONS.map((migration) => migration.tag),
		journal.entries.map((entry) => entry.tag),
	);
});

test("migrate applies the folder given as migrationsFolder, and the embedded migrations by default", async () => {
	// A drizzle-kit folder with one migration, older than the package's (the journal table
	// applies what is newer than its newest row).
	const folder = mkdtempSync(join(tmpdir(), "rk-migrations-"));
	const client = new PGlite();
	try {
		mkdirSync(join(folder, "meta"));
		writeFileSync(join(folder, "meta", "_journal.json"), JSON.stringify({ version: "7", dialect: "postgresql", entries: [{ idx: 0, version: "7", when: 1, tag: "0000_probe", breakpoints: true }] }));
		writeFileSync(join(folder, "0000_probe.sql"), "CREATE TABLE rk_probe (id integer);--> statement-breakpoint\nINSERT INTO rk_probe VALUES (1);");
		const probe = readMigrationFiles({ migrationsFolder: folder })[0]?.hash;
		const db = drizzle(client);
		const applied = async () => (await client.query<{ hash: string }>("select hash from drizzle.__refresh_kit_migrations order by id")).rows.map((row) => row.hash);
		const tables = async () => (await client.query<{ name: string }>("select table_name as name from information_schema.tables where table_schema = 'public' order by 1")).rows.map((row) => row.name);

		await migrate(db, { migrationsFolder: folder });
		assert.equal(await applied(), [probe]);
		assert.equal(await tables(), ["rk_probe"]);
		await migrate(db);
		assert.equal(await applied(), [probe, ...MIGRATIONS.map((migration) => migration.hash)]);
		assert.equal(await tables(), ["refresh_kit_sessions", "rk_probe"]);
		await migrate(db, { migrationsFolder: folder });
		assert.is((await applied()).length, 1 + MIGRATIONS.length, "an older folder applies nothing");
		let missing: unknown = null;
		await migrate(db, { migrationsFolder: join(folder, "absent") }).catch((error: unknown) => (missing = error));
		assert.instance(missing, Error, "a folder without a journal is an error");
	} finally {
		await client.close();
		rmSync(folder, { recursive: true, force: true });
	}
});

test("storage/drizzle/migrations.ts is what scripts/embed-migrations.mjs writes now", async () => {
	const { code, output } = await script("embed-migrations.mjs", ["--check"]);
	assert.is(code, 0, output);
});

test("no Node builtin among the static imports of storage/drizzle/index.ts", async () => {
	const { code, output } = await script("check-edge-imports.mjs", ["storage/drizzle/index.ts"]);
	assert.is(code, 0, output);
	assert.match(output, /^ok {3}storage\/drizzle\/index\.ts/);
});

test("the edge check fails on a static node: or bare builtin import anywhere in the graph, and allows import() in a function", async () => {
	const dir = mkdtempSync(join(tmpdir(), "rk-edge-"));
	try {
		writeFileSync(join(dir, "deep.ts"), `import { readFileSync } from "node:fs";\nexport const read = readFileSync;\n`);
		writeFileSync(join(dir, "static.ts"), `export { read } from "./deep.js";\n`);
		writeFileSync(join(dir, "bare.ts"), `import { join } from "path";\nexport const at = join("a", "b");\n`);
		writeFileSync(join(dir, "dynamic.ts"), `export async function read(path: string) {\n\tconst { readFile } = await import("node:fs/promises");\n\treturn readFile(path);\n}\n`);
		const failing = await script("check-edge-imports.mjs", [join(dir, "static.ts"), join(dir, "bare.ts")]);
		assert.is(failing.code, 1, failing.output);
		assert.match(failing.output, /static\.ts -> .*deep\.ts -> node:fs/);
		assert.match(failing.output, /bare\.ts -> path/);
		const passing = await script("check-edge-imports.mjs", [join(dir, "dynamic.ts")]);
		assert.is(passing.code, 0, passing.output);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
});

test.run();
