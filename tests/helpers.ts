// Shared test helpers. Not a suite: the runner only picks up *.test.ts.
import * as assert from "uvu/assert";
import { createTokenService, isTokenError, type RefreshOptions, type TokenErrorCode, type TokenEvent, type TokenService, type TokenServiceOptions } from "../core/index.js";
import type { TokenStore } from "../core/port.js";
import { resolveRefreshSecrets } from "../core/refresh-keys.js";
import { formatRefreshToken, hashToken, newFamilyProof, newSecret, newSessionId, parseRefreshToken } from "../core/refresh-token.js";
import { memoryStore } from "../storage/memory/index.js";

/**
 * Asserts that `promise` rejects with a TokenError of `code` (uvu's assert.throws is
 * synchronous and never sees a rejection). Returns the error for further checks.
 */
export async function rejects(promise: Promise<unknown>, code: TokenErrorCode): Promise<Error> {
	let settled: unknown;
	try {
		settled = await promise;
	} catch (error) {
		if (!isTokenError(error, code)) {
			const got = isTokenError(error) ? error.code : String(error);
			assert.unreachable(`expected TokenError ${code}, got ${got}`);
		}
		return error as Error;
	}
	assert.unreachable(`expected a rejection with ${code}, but it resolved to ${JSON.stringify(settled)?.slice(0, 120)}`);
	throw new Error("unreachable");
}

/** A clock tests move by hand. Starts at a fixed instant so runs are reproducible. */
export interface ManualClock {
	now(): Date;
	advance(seconds: number): void;
	set(date: Date): void;
}

export function manualClock(start = new Date("2026-01-01T00:00:00.000Z")): ManualClock {
	let current = start.getTime();
	return {
		now: () => new Date(current),
		advance(seconds: number) {
			current += seconds * 1000;
		},
		set(date: Date) {
			current = date.getTime();
		},
	};
}

export const TEST_SECRET = "test-secret-that-is-at-least-32-bytes-long!";
/** The tests' `refresh.secret` (the server-held key of refresh tokens; never the signing key). */
export const TEST_REFRESH_SECRET = "test-refresh-secret-of-at-least-32-bytes!!";

/** The keys the tests' services derive from TEST_REFRESH_SECRET. */
export const TEST_REFRESH_KEYS = resolveRefreshSecrets(TEST_REFRESH_SECRET, []);

/** A well-formed v2 token, keyed like the tests' tokens, of a session nobody issued. */
export function unknownToken(): string {
	return formatRefreshToken({ sessionId: newSessionId(), keyId: TEST_REFRESH_KEYS.current.id, familyProof: newFamilyProof(), secret: newSecret() });
}

/** The `tokenHash` a store keeps for `token` when the service runs with TEST_REFRESH_SECRET. */
export function storedHash(token: string): Uint8Array {
	const parts = parseRefreshToken(token);
	if (parts === null) throw new Error("storedHash: not a refresh token");
	const key = parts.keyId === null ? null : TEST_REFRESH_KEYS.byId.get(parts.keyId);
	if (key === undefined) throw new Error("storedHash: token keyed by another refresh secret");
	return hashToken(key, parts.familyProof, parts.secret);
}

/** createTokenService's options with `refresh` optional: tests default it to `{ secret: TEST_REFRESH_SECRET }`. */
export type TestServiceOptions = Omit<TokenServiceOptions, "refresh"> & { refresh?: Partial<RefreshOptions> };

/** `refresh` options for tests: TEST_REFRESH_SECRET unless the test gives its own secret. */
export function testRefresh(refresh: Partial<RefreshOptions> = {}): RefreshOptions {
	return { secret: TEST_REFRESH_SECRET, ...refresh };
}

export interface Harness {
	service: TokenService;
	clock: ManualClock;
	events: TokenEvent[];
	store: TokenStore;
}

/** A service on a manual clock that records its events. Overrides go on top of test defaults. */
export function harness(overrides: Partial<TestServiceOptions> = {}): Harness {
	const clock = manualClock();
	const events: TokenEvent[] = [];
	const store = overrides.store ?? memoryStore();
	const service = createTokenService({
		store,
		keys: { secret: TEST_SECRET },
		issuer: "https://auth.test",
		audience: "https://api.test",
		clock,
		onEvent: (event) => events.push(event),
		...overrides,
		refresh: testRefresh(overrides.refresh),
	});
	return { service, clock, events, store };
}

/** Lowercase hex of bytes, Buffer-safe (a Postgres `bytea` comes back as a Buffer, which deep-equal tells apart from a Uint8Array). */
export function hex(bytes: Uint8Array | null | undefined): string | null {
	if (bytes === null || bytes === undefined) return null;
	let out = "";
	for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
	return out;
}

/** Lets every queued microtask and pending I/O callback run (one macrotask turn). */
export function settle(): Promise<void> {
	return new Promise((resolve) => setImmediate(resolve));
}
