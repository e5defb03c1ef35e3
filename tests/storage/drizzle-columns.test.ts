// The Drizzle store's row mapping (storage/drizzle/columns.ts) without a database: the column
// text of the hand-written statements against the table, and the positional readers against
// rows shaped as the drivers return them. The contract and the storage suites run the same
// readers on PGlite and PostgreSQL.
import { getTableColumns } from "drizzle-orm";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { SessionRecord, TokenRotation } from "../../core/port.js";
import { builtRowRecord, ROTATED_COLUMNS, ROTATED_PADDING, readRotatedSession, readSession, SESSION_COLUMN_LIST } from "../../storage/drizzle/columns.js";
import { type RefreshKitSessionRow, refreshKitSessions } from "../../storage/drizzle/schema.js";

const test = suite("drizzle: row mapping");

function bytes(fill: number): Uint8Array {
	return new Uint8Array(32).fill(fill);
}

const session: SessionRecord = {
	id: "0a1b2c3d-0000-4000-8000-00000000abcd",
	subject: "user-1",
	device: "laptop",
	claims: { role: "admin" },
	mode: "rotate",
	familyHash: bytes(1),
	tokenHash: bytes(2),
	previousHash: bytes(3),
	sealedSuccessor: bytes(4),
	rotatedAt: new Date("2026-01-02T00:00:00.000Z"),
	generation: 7,
	createdAt: new Date("2026-01-01T00:00:00.000Z"),
	lastUsedAt: new Date("2026-01-03T00:00:00.000Z"),
	expiresAt: new Date("2026-02-01T00:00:00.000Z"),
	absoluteExpiresAt: new Date("2026-04-01T00:00:00.000Z"),
	revokedAt: new Date("2026-01-04T00:00:00.000Z"),
};

const columnOf = Object.fromEntries(Object.entries(getTableColumns(refreshKitSessions)).map(([field, column]) => [column.name, field])) as Record<string, keyof RefreshKitSessionRow>;

function names(list: string): string[] {
	return list.split(", ");
}

/** `session` as a driver returns the columns of `list`: times as the server's text, bytea as a Buffer-like subclass, jsonb parsed. */
function driverRow(list: string, record: SessionRecord): unknown[] {
	return names(list).map((name) => {
		const value = record[columnOf[name] as keyof SessionRecord];
		if (value instanceof Date) return value.toISOString().replace("T", " ").replace("Z", "+00");
		if (value instanceof Uint8Array) return new (class DriverBytes extends Uint8Array {})(value);
		return value;
	});
}

test("the statements return every column of the table that a session record holds, each once", () => {
	const all = names(SESSION_COLUMN_LIST);
	assert.equal(
		[...new Set(all)].sort(),
		Object.keys(columnOf)
			.filter((name) => name !== "prune_after")
			.sort(),
	);
	// A rotated row is a full row's first columns, padded with a null for each of the others.
	assert.equal(all.slice(0, names(ROTATED_COLUMNS).length), names(ROTATED_COLUMNS));
	assert.is(ROTATED_PADDING.split(", ").length, all.length - names(ROTATED_COLUMNS).length);
	assert.ok(ROTATED_PADDING.split(", ").every((value) => value === "null"));
});

test("readSession reads every field at its column's position, from any offset", () => {
	const row = driverRow(SESSION_COLUMN_LIST, session);
	assert.equal(readSession(row, 0), session);
	assert.equal(readSession([false, ...row], 1), session);
	const sparse: SessionRecord = { ...session, device: null, claims: null, previousHash: null, sealedSuccessor: null, rotatedAt: null, expiresAt: null, absoluteExpiresAt: null, revokedAt: null };
	assert.equal(readSession(driverRow(SESSION_COLUMN_LIST, sparse), 0), sparse);
	// bytea comes back as a plain Uint8Array, jsonb left as text by the app's client is parsed.
	const record = readSession(
		driverRow(SESSION_COLUMN_LIST, session).map((value, i) => (names(SESSION_COLUMN_LIST)[i] === "claims" ? JSON.stringify(value) : value)),
		0,
	);
	assert.is(record.tokenHash.constructor, Uint8Array);
	assert.equal(record.claims, session.claims);
});

test("readRotatedSession: the returned columns, and the rest as the rotation wrote them", () => {
	const rotation: TokenRotation = {
		sessionId: session.id.toUpperCase(),
		presentedHash: bytes(2),
		successorHash: bytes(9),
		sealedSuccessor: bytes(8),
		now: new Date("2026-01-05T00:00:00.000Z"),
		idleExpiresAt: new Date("2026-05-01T00:00:00.000Z"),
	};
	const row = [true, ...driverRow(ROTATED_COLUMNS, session), ...ROTATED_PADDING.split(", ").map(() => null)];
	assert.equal(readRotatedSession(row, 1, rotation), {
		...session,
		id: session.id,
		tokenHash: rotation.successorHash,
		previousHash: rotation.presentedHash,
		sealedSuccessor: rotation.sealedSuccessor,
		rotatedAt: rotation.now,
		lastUsedAt: rotation.now,
		// least(idle expiry, absolute expiry); the absolute one is sooner here.
		expiresAt: session.absoluteExpiresAt,
		revokedAt: null,
	});
	const unbounded = readRotatedSession([true, ...driverRow(ROTATED_COLUMNS, { ...session, absoluteExpiresAt: null })], 1, { ...rotation, idleExpiresAt: null });
	assert.is(unbounded.expiresAt, null);
	assert.is(unbounded.absoluteExpiresAt, null);
});

test("builtRowRecord keeps the record's fields of a query-builder row and drops the rest", () => {
	const row: RefreshKitSessionRow = { ...session, pruneAfter: "-infinity" };
	assert.equal(builtRowRecord(row), session);
});

test.run();
