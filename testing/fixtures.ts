// Records, times and assertions shared by the contract cases. Hashes are random bytes: a
// store treats them as opaque, so the contract never needs the service's hashing.
import * as assert from "node:assert/strict";
import type { SessionRecord, TokenRotation, TokenStore } from "../core/port.js";
import { SEALED_SUCCESSOR_BYTES } from "../core/refresh-token.js";

/** Every case's time origin. Stores never read a clock: each call passes its `now`. */
export const T0 = new Date("2030-01-01T00:00:00.000Z");
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

/** `T0` moved by `offsetMs`. */
export function at(offsetMs: number): Date {
	return new Date(T0.getTime() + offsetMs);
}

export function randomBytes(length: number): Uint8Array {
	return crypto.getRandomValues(new Uint8Array(length));
}

/** A subject no other case (nor an earlier run on the same database) uses. */
export function freshSubject(): string {
	return `subject-${crypto.randomUUID()}`;
}

/** A session record with fresh random id, subject and hashes; idle 1 h, absolute 2 h from T0 unless overridden. */
export function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
	return {
		id: crypto.randomUUID(),
		subject: freshSubject(),
		device: null,
		claims: null,
		mode: "rotate",
		familyHash: randomBytes(32),
		tokenHash: randomBytes(32),
		previousHash: null,
		sealedSuccessor: null,
		rotatedAt: null,
		generation: 0,
		createdAt: T0,
		lastUsedAt: T0,
		expiresAt: at(HOUR),
		absoluteExpiresAt: at(2 * HOUR),
		revokedAt: null,
		...overrides,
	};
}

/** Stores a fresh {@link record} and returns it. */
export async function create(store: TokenStore, overrides: Partial<SessionRecord> = {}): Promise<SessionRecord> {
	const session = record(overrides);
	await store.createSession(session);
	return session;
}

/** A rotation presenting the session's current hash at T0 + 10 s, idle expiry an hour later. */
export function rotation(session: SessionRecord, overrides: Partial<TokenRotation> = {}): TokenRotation {
	return {
		sessionId: session.id,
		presentedHash: session.tokenHash,
		successorHash: randomBytes(32),
		// The size of a real seal (36 bytes): a store that truncates or checks 32 fails the contract.
		sealedSuccessor: randomBytes(SEALED_SUCCESSOR_BYTES),
		now: at(10 * SECOND),
		idleExpiresAt: at(10 * SECOND + HOUR),
		...overrides,
	};
}

/**
 * A driver-neutral view of a record, so a Buffer and a Uint8Array of the same bytes compare
 * equal. Fails when a byte field is not a Uint8Array or a time is not a Date: the service
 * compares and seals bytes, and does arithmetic on times.
 */
export function plain(session: SessionRecord | null | undefined): Record<string, unknown> | null {
	if (session === null || session === undefined) return null;
	return {
		id: session.id,
		subject: session.subject,
		device: session.device,
		claims: session.claims,
		mode: session.mode,
		familyHash: hex(session.familyHash),
		tokenHash: hex(session.tokenHash),
		previousHash: hex(session.previousHash),
		sealedSuccessor: hex(session.sealedSuccessor),
		rotatedAt: iso(session.rotatedAt),
		generation: session.generation,
		createdAt: iso(session.createdAt),
		lastUsedAt: iso(session.lastUsedAt),
		expiresAt: iso(session.expiresAt),
		absoluteExpiresAt: iso(session.absoluteExpiresAt),
		revokedAt: iso(session.revokedAt),
	};
}

/** Lowercase hex of bytes; null stays null. */
export function hex(bytes: Uint8Array | null | undefined): string | null {
	if (bytes === null || bytes === undefined) return null;
	holds(bytes instanceof Uint8Array, `hashes and sealed values come back as Uint8Array (got ${typeof bytes})`);
	let out = "";
	for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
	return out;
}

/** ISO form of a time; null stays null. */
export function iso(date: Date | null | undefined): string | null {
	if (date === null || date === undefined) return null;
	holds(date instanceof Date, `times come back as Date objects (got ${typeof date})`);
	return date.toISOString();
}

/** The ids of sessions, in the order given. */
export function ids(sessions: readonly SessionRecord[]): string[] {
	return sessions.map((session) => session.id);
}

/** The ids sorted, to compare sets. */
export function sortedIds(values: readonly string[]): string[] {
	return [...values].sort();
}

const SHOWN = 400;

function show(value: unknown): string {
	let text: string;
	try {
		text = JSON.stringify(value) ?? String(value);
	} catch {
		text = String(value);
	}
	return text.length > SHOWN ? `${text.slice(0, SHOWN)}… (${text.length} chars)` : text;
}

/**
 * Deep strict equality. `property` says, in the store author's words, what the port requires;
 * the message adds what was expected and what the store gave.
 */
export function same(actual: unknown, expected: unknown, property: string): void {
	assert.deepStrictEqual(actual, expected, `${property}\n    expected: ${show(expected)}\n    actual:   ${show(actual)}`);
}

/** Asserts a condition; `property` is the message when it does not hold. */
export function holds(condition: boolean, property: string): asserts condition {
	assert.ok(condition, property);
}

/** Asserts that the store call rejects (any error). */
export async function refuses(promise: Promise<unknown>, property: string): Promise<void> {
	try {
		await promise;
	} catch {
		return;
	}
	assert.fail(property);
}

/**
 * Calls `prune` until it deletes nothing more (at most 1000 rounds) and returns the total.
 * Each batch must stay within its limit.
 */
export async function drain(store: TokenStore, before: Date): Promise<number> {
	let total = 0;
	for (let round = 0; round < 1000; round++) {
		const deleted = await store.prune({ before, limit: 100 });
		holds(Number.isInteger(deleted) && deleted >= 0 && deleted <= 100, `prune returns how many it deleted, at most the limit (limit 100, got ${deleted})`);
		if (deleted === 0) return total;
		total += deleted;
	}
	assert.fail("prune kept reporting deletions after 1000 batches of 100: it must return 0 once nothing is left to delete");
}
