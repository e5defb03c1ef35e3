// The Drizzle store on the embedded PGlite: one instance for the whole file (a boot costs
// seconds), emptied between tests. PGlite is one connection, so the race cases run serialized
// here; the real-concurrency claims come from postgres.test.ts and drizzle-concurrency.test.ts.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { TokenError } from "../../core/errors.js";
import type { TokenStore } from "../../core/port.js";
import { type DrizzleDatabase, drizzleStore, migrate, type OpenedStore, openStore } from "../../storage/drizzle/index.js";
import { rejects } from "../helpers.js";
import { BATCH_MODES, type DrizzleFixture, lifecycleCases, raceCases, storeCases } from "./drizzle-cases.js";
import { storeSuites } from "./service-cases.js";

// The file's one PGlite, opened the way apps do: openStore("pglite://memory").
let opened: OpenedStore | null = null;

async function database(): Promise<DrizzleDatabase> {
	opened ??= await openStore("pglite://memory");
	return opened.db;
}

// Every suite twice: with rotation batching and with one statement per rotation (BATCH_MODES).
for (const [index, mode] of BATCH_MODES.entries()) {
	let main: TokenStore | null = null;
	const fixture: DrizzleFixture = {
		async setup() {
			main ??= drizzleStore(await database(), { batch: mode.batch });
		},
		async reset() {
			await (await database()).execute(sql`truncate refresh_kit_sessions`);
		},
		async teardown() {},
		store: () => main as TokenStore,
		stores: (count) => Array.from({ length: count }, () => drizzleStore((opened as OpenedStore).db, { batch: mode.batch })),
		logged: (log) => drizzleStore(drizzle(((opened as OpenedStore).db as unknown as { $client: PGlite }).$client, { logger: { logQuery: (query) => void log.push(query) } }), { batch: mode.batch }),
	};
	// The store contract as shipped and the service over the store, the table emptied before every
	// case. The PGlite instance outlives them (closed by the last suite below).
	storeSuites(`drizzleStore on PGlite, ${mode.label}`, async () => {
		await fixture.setup();
		return { store: fixture.store(), reset: () => fixture.reset() };
	});
	storeCases(`pglite, ${mode.label}`, fixture, { batched: mode.batch !== false });
	if (index === 0) lifecycleCases(`pglite, ${mode.label}`, fixture);
	raceCases(`pglite, ${mode.label}`, fixture, { concurrency: 200, instances: 4 });
}

const test = suite("pglite: setup and openStore");

test.after(async () => {
	await opened?.close();
	opened = null;
});

test("migrate is idempotent, also when run concurrently", async () => {
	const target = await database();
	await Promise.all([migrate(target), migrate(target), migrate(target)]);
	const result = await target.execute(sql`select count(*)::int as n from drizzle.__refresh_kit_migrations`);
	assert.equal((result as unknown as { rows: unknown[] }).rows, [{ n: shippedMigrations().length }]);
});

test("upgrade from the first migration: existing sessions keep working, prune sees them at once", async () => {
	// The shipped folder cut back to its first migration: a database from refresh-kit's first release.
	const folder = mkdtempSync(join(tmpdir(), "rk-migrations-"));
	const client = new PGlite();
	try {
		cpSync("drizzle", folder, { recursive: true });
		const journal = JSON.parse(readFileSync(join(folder, "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
		journal.entries = journal.entries.slice(0, 1);
		writeFileSync(join(folder, "meta", "_journal.json"), JSON.stringify(journal));
		const db = drizzle(client);
		await migrate(db, { migrationsFolder: folder });
		const hash = new Uint8Array(32).fill(0xab);
		const insert = (id: string, expires: string, revoked: string | null) =>
			client.query(
				`insert into refresh_kit_sessions (id, created_at, last_used_at, expires_at, absolute_expires_at, revoked_at, mode, subject, family_hash, token_hash) values ($1, '2026-01-01Z', '2026-01-01Z', $2, '2026-12-01Z', $3, 'rotate', 'old', $4, $4)`,
				[id, expires, revoked, hash],
			);
		const live = "00000000-0000-4000-8000-00000000000a";
		await insert(live, "2026-06-01Z", null);
		await insert("00000000-0000-4000-8000-00000000000b", "2026-06-01Z", "2026-01-02Z");
		await insert("00000000-0000-4000-8000-00000000000c", "2026-01-15Z", null);

		await migrate(db);
		const store = drizzleStore(db);
		assert.is((await store.findSession(live))?.subject, "old");
		// Old rows are all candidates ('-infinity'); the two dead ones go, the live one stays.
		assert.is(await store.prune({ before: new Date("2026-02-01Z"), limit: 1 }), 1);
		assert.is(await store.prune({ before: new Date("2026-02-01Z"), limit: 10 }), 1);
		assert.is(await store.prune({ before: new Date("2026-02-01Z"), limit: 10 }), 0);
		const rotated = await store.rotateToken({
			sessionId: live,
			presentedHash: new Uint8Array(32).fill(0xab),
			successorHash: new Uint8Array(32).fill(1),
			sealedSuccessor: new Uint8Array(32).fill(2),
			now: new Date("2026-02-01Z"),
			idleExpiresAt: new Date("2026-07-01Z"),
		});
		assert.is(rotated.rotated, true);
		assert.is(await store.prune({ before: new Date("2026-06-15Z"), limit: 10 }), 0);
		assert.is(await store.prune({ before: new Date("2026-07-01Z"), limit: 10 }), 1);
	} finally {
		await client.close();
		rmSync(folder, { recursive: true, force: true });
	}
});

function shippedMigrations(): unknown[] {
	return (JSON.parse(readFileSync(join("drizzle", "meta", "_journal.json"), "utf8")) as { entries: unknown[] }).entries;
}

test("drizzleStore refuses what is not a postgres.js or PGlite Drizzle database", async () => {
	// A raw PGlite client (not wrapped by Drizzle); not booted, the check never queries it.
	const pglite = Object.create(PGlite.prototype) as PGlite;
	for (const candidate of [null, {}, { execute() {} }, pglite, drizzle.mock()]) {
		try {
			drizzleStore(candidate as never);
			assert.unreachable("should have thrown");
		} catch (error) {
			assert.instance(error, TokenError);
			assert.is((error as TokenError).code, "ERR_CONFIG_INVALID");
		}
	}
	await rejects(migrate({} as never), "ERR_CONFIG_INVALID");
	await rejects(openStore("mysql://root@localhost/db"), "ERR_CONFIG_INVALID");
});

test("openStore(): file-backed PGlite under .data/ by default, data survives a reopen", async () => {
	const cwd = mkdtempSync(join(tmpdir(), "rk-pglite-"));
	const previous = process.cwd();
	const id = "00000000-0000-4000-8000-000000000001";
	const at = new Date("2026-01-01T00:00:00Z");
	const hash = new Uint8Array(32);
	try {
		// The default directory is relative to the working directory at the call.
		process.chdir(cwd);
		let created: OpenedStore;
		try {
			created = await openStore();
		} finally {
			process.chdir(previous);
		}
		await created.createSession({
			id,
			subject: "s",
			device: null,
			claims: null,
			mode: "rotate",
			familyHash: hash,
			tokenHash: hash,
			previousHash: null,
			sealedSuccessor: null,
			rotatedAt: null,
			generation: 0,
			createdAt: at,
			lastUsedAt: at,
			expiresAt: null,
			absoluteExpiresAt: null,
			revokedAt: null,
		});
		await created.close();
		assert.ok(existsSync(join(cwd, ".data", "refresh-kit")));
		const reopened = await openStore(`pglite://${join(cwd, ".data", "refresh-kit")}`);
		try {
			assert.is((await reopened.findSession(id))?.subject, "s");
		} finally {
			await reopened.close();
		}
	} finally {
		rmSync(cwd, { recursive: true, force: true });
	}
});

test.run();
