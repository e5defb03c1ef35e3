// The demo's signing keys and store. Kept apart from server.ts so the HTTP wiring reads on its own.
import { createHash, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { generateSigningKeys, TOKEN_STORE_VERBS, type TokenStore } from "../../core/index.js";
import { openStore } from "../../storage/drizzle/index.js";

type JWKList = Awaited<ReturnType<typeof generateSigningKeys>>;

/**
 * EdDSA signing keys: `AUTH_KEYS` (a JSON JWK list, e.g. from a secret manager) when set,
 * else `.data/demo-keys.json`, generated on first start (mode 0600, gitignored). Keeping
 * them across restarts keeps issued access tokens verifiable.
 */
export async function loadSigningKeys(file: string): Promise<{ keys: JWKList; source: string }> {
	if (process.env.AUTH_KEYS !== undefined && process.env.AUTH_KEYS !== "") {
		return { keys: JSON.parse(process.env.AUTH_KEYS) as JWKList, source: "AUTH_KEYS" };
	}
	try {
		return { keys: JSON.parse(readFileSync(file, "utf8")) as JWKList, source: file };
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
	}
	const keys = await generateSigningKeys("EdDSA");
	mkdirSync(dirname(file), { recursive: true });
	try {
		writeFileSync(file, JSON.stringify(keys, null, 2) + "\n", { mode: 0o600, flag: "wx" });
	} catch (error) {
		// Another process created it first: use theirs, so both sign with the same key.
		if ((error as NodeJS.ErrnoException).code === "EEXIST") return { keys: JSON.parse(readFileSync(file, "utf8")) as JWKList, source: file };
		throw error;
	}
	return { keys, source: `${file} (generated)` };
}

export interface DemoStore {
	store: TokenStore;
	/** Resolves once the database is open and migrated. */
	ready: Promise<void>;
	isReady(): boolean;
	close(): Promise<void>;
}

/**
 * `openStore(DATABASE_URL)` (embedded PGlite under .data/ when unset), behind a store that
 * waits for it: the server listens at once (so /auth/jwks, which needs no store, answers
 * immediately) while PGlite's first boot, several seconds, runs in the background. A call
 * that waits longer than the service's storeTimeout becomes a 503 with Retry-After.
 */
export function openDemoStore(url: string | undefined): DemoStore {
	const opening = openStore(url);
	let ready = false;
	const done = opening.then((opened) => {
		if (opened.guarantees.atomicRotation !== true) throw new Error("the store does not guarantee atomic rotation");
		ready = true;
	});
	const store: Record<string, unknown> = { guarantees: { atomicRotation: true } };
	for (const name of TOKEN_STORE_VERBS) {
		store[name] = async (...args: unknown[]): Promise<unknown> => {
			const opened = await opening;
			return (opened[name] as (...input: unknown[]) => Promise<unknown>)(...args);
		};
	}
	return {
		store: store as unknown as TokenStore,
		ready: done,
		isReady: () => ready,
		close: async () => (await opening.catch(() => null))?.close(),
	};
}

/** Compares two strings in time independent of where they differ (hashing first equalises the lengths). */
export function safeEqual(a: string, b: string): boolean {
	return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}
