// The Drizzle store on the embedded PGlite: one instance for the whole file (a boot costs
// seconds), emptied between tests. PGlite is one connection, so the race cases run serialized
// here; the real-concurrency claims come from postgres.test.ts and drizzle-concurrency.test.ts.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { TokenError } from "../../core/errors.js";
import type { TokenStore } from "../../storage/port.js";
import { drizzleStore, migrate, openStore, type DrizzleDatabase, type OpenedStore } from "../../storage/drizzle/index.js";
import { rejects } from "../helpers.js";
import { storeContract } from "./contract.js";
import { lifecycleCases, raceCases, storeCases, type DrizzleFixture } from "./drizzle-cases.js";

// The file's one PGlite, opened the way apps do: openStore("pglite://memory").
let opened: OpenedStore | null = null;

async function database(): Promise<DrizzleDatabase> {
	opened ??= await openStore("pglite://memory");
	return opened.db;
}

const fixture: DrizzleFixture = {
	async setup() {
		await database();
	},
	async reset() {
		await (await database()).execute(sql`truncate refresh_kit_sessions`);
	},
	async teardown() {},
	store: () => opened as TokenStore,
	stores: (count) => Array.from({ length: count }, () => drizzleStore((opened as OpenedStore).db)),
};

// The shared contract, unchanged. The PGlite instance outlives it (closed by the last suite below).
storeContract("storage contract: drizzleStore on PGlite", {
	async open() {
		await fixture.setup();
		return fixture.store();
	},
	reset: () => fixture.reset(),
	async close() {},
});
storeCases("pglite", fixture);
lifecycleCases("pglite", fixture);
raceCases("pglite", fixture, { concurrency: 200, instances: 4 });

const test = suite("pglite: setup and openStore");

test.after(async () => {
	await opened?.close();
	opened = null;
});

test("migrate is idempotent, also when run concurrently", async () => {
	const target = await database();
	await Promise.all([migrate(target), migrate(target), migrate(target)]);
	const result = await target.execute(sql`select count(*)::int as n from drizzle.__refresh_kit_migrations`);
	assert.equal((result as unknown as { rows: unknown[] }).rows, [{ n: 1 }]);
});

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
		await created.createSession({ id, subject: "s", device: null, claims: null, mode: "rotate", familyHash: hash, tokenHash: hash, previousHash: null, sealedSuccessor: null, rotatedAt: null, generation: 0, createdAt: at, lastUsedAt: at, expiresAt: null, absoluteExpiresAt: null, revokedAt: null });
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
