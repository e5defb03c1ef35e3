// The demo's signing keys and store. Kept apart from server.ts so the HTTP wiring reads on its own.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
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
	const { text, source } = await readOrCreate(file, async () => JSON.stringify(await generateSigningKeys("EdDSA"), null, 2) + "\n");
	return { keys: JSON.parse(text) as JWKList, source };
}

/**
 * The refresh secret that keys every refresh token (refresh.secret): `REFRESH_SECRET` when set
 * (comma-separated to rotate: new first), else `.data/demo-refresh-secret`, generated on first
 * start. Kept apart from the signing keys on purpose: a service that verifies access tokens may
 * hold those, and must not be able to mint refresh tokens.
 */
export async function loadRefreshSecret(file: string): Promise<{ secret: string[]; source: string }> {
	if (process.env.REFRESH_SECRET !== undefined && process.env.REFRESH_SECRET !== "") {
		return { secret: process.env.REFRESH_SECRET.split(",").map((part) => part.trim()), source: "REFRESH_SECRET" };
	}
	const { text, source } = await readOrCreate(file, () => randomBytes(32).toString("base64url") + "\n");
	return { secret: [text.trim()], source };
}

/** The content of `file`, created with `create()` (mode 0600) when missing; concurrent starters agree on one. */
async function readOrCreate(file: string, create: () => string | Promise<string>): Promise<{ text: string; source: string }> {
	try {
		return { text: readFileSync(file, "utf8"), source: file };
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
	}
	const text = await create();
	mkdirSync(dirname(file), { recursive: true });
	try {
		writeFileSync(file, text, { mode: 0o600, flag: "wx" });
	} catch (error) {
		// Another process created it first: use theirs, so both sign with the same key.
		if ((error as NodeJS.ErrnoException).code === "EEXIST") return { text: readFileSync(file, "utf8"), source: file };
		throw error;
	}
	return { text, source: `${file} (generated)` };
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
