// The row mapping: one declared list of the session columns, from which the hand-written
// statements' column text and the readers of their rows are generated, so that a column cannot
// be added to one and forgotten in the other (and no position is ever written by hand).
import { encodeHexLowerCase } from "@oslojs/encoding";
import type { SessionRecord, TokenRotation } from "../../core/port.js";
import { sooner } from "../../core/session.js";
import { plainBytes, type RefreshKitSessionRow, refreshKitSessions as sessions } from "./schema.js";

type Field = keyof SessionRecord;

/** Turns what a driver returns for the column (postgres.js or PGlite, through Drizzle) into the field's value. */
type Decoder<F extends Field> = (value: unknown) => SessionRecord[F];

/** The columns a rotation's answer returns: what the store cannot know from its input. */
type ReturnedField = "subject" | "device" | "claims" | "mode" | "familyHash" | "generation" | "createdAt" | "absoluteExpiresAt";

interface ReturnedColumn<F extends Field> {
	readonly decode: Decoder<F>;
}

interface KnownColumn<F extends Field> extends ReturnedColumn<F> {
	/**
	 * The column's value right after a successful rotation, exactly as the UPDATE wrote it,
	 * from the rotation's input and the returned columns.
	 */
	readonly afterRotation: (rotation: TokenRotation, returned: Pick<SessionRecord, ReturnedField>) => SessionRecord[F];
}

function text(value: unknown): string {
	return value as string;
}

function textOrNull(value: unknown): string | null {
	return value as string | null;
}

function integer(value: unknown): number {
	return value as number;
}

function mode(value: unknown): SessionRecord["mode"] {
	return value as SessionRecord["mode"];
}

function bytes(value: unknown): Uint8Array {
	return plainBytes(value as Uint8Array);
}

function bytesOrNull(value: unknown): Uint8Array | null {
	return value === null ? null : bytes(value);
}

/** timestamptz: both drivers hand Drizzle the server's text (Drizzle turns their date parsers off). */
function date(value: unknown): Date {
	return typeof value === "string" ? new Date(value) : (value as Date);
}

function dateOrNull(value: unknown): Date | null {
	return value === null ? null : date(value);
}

/** jsonb: parsed by both drivers; a string only if the app's client was told not to. */
function jsonOrNull(value: unknown): Record<string, unknown> | null {
	return typeof value === "string" ? (JSON.parse(value) as Record<string, unknown>) : ((value ?? null) as Record<string, unknown> | null);
}

/**
 * Every field of a session: how to decode its column, and for the columns a rotation does not
 * return, their value after it. The SQL names come from the Drizzle table. The compiler checks
 * that every field of {@link SessionRecord} is here, once, with functions of the field's type.
 */
const SESSION_COLUMNS = {
	subject: { decode: text },
	device: { decode: textOrNull },
	claims: { decode: jsonOrNull },
	mode: { decode: mode },
	familyHash: { decode: bytes },
	generation: { decode: integer },
	createdAt: { decode: date },
	absoluteExpiresAt: { decode: dateOrNull },
	// PostgreSQL prints a uuid lowercase; the id passed isSessionId, so this is that text.
	id: { decode: text, afterRotation: (rotation) => rotation.sessionId.toLowerCase() },
	// The UPDATE matched `token_hash = presentedHash` and `revoked_at is null`.
	tokenHash: { decode: bytes, afterRotation: (rotation) => rotation.successorHash },
	previousHash: { decode: bytesOrNull, afterRotation: (rotation) => rotation.presentedHash },
	sealedSuccessor: { decode: bytesOrNull, afterRotation: (rotation) => rotation.sealedSuccessor },
	rotatedAt: { decode: dateOrNull, afterRotation: (rotation) => rotation.now },
	lastUsedAt: { decode: date, afterRotation: (rotation) => rotation.now },
	// `least()` skips nulls, as `sooner` does.
	expiresAt: { decode: dateOrNull, afterRotation: (rotation, returned) => sooner(rotation.idleExpiresAt, returned.absoluteExpiresAt) },
	revokedAt: { decode: dateOrNull, afterRotation: () => null },
} satisfies { [F in ReturnedField]: ReturnedColumn<F> } & { [F in Exclude<Field, ReturnedField>]: KnownColumn<F> };

type ColumnSpec = ReturnedColumn<Field> & Partial<Pick<KnownColumn<Field>, "afterRotation">>;

const SPECS = Object.entries(SESSION_COLUMNS) as Array<[Field, ColumnSpec]>;
const RETURNED = SPECS.filter(([, spec]) => spec.afterRotation === undefined);
const KNOWN = SPECS.filter(([, spec]) => spec.afterRotation !== undefined);
/** The readers' column order: the ones a rotation returns first, so a rotated row has a full one's layout. */
const FIELDS: readonly Field[] = [...RETURNED, ...KNOWN].map(([field]) => field);
type AnyDecoder = (value: unknown) => unknown;
const DECODERS: readonly AnyDecoder[] = [...RETURNED, ...KNOWN].map(([, spec]) => spec.decode);
const RETURNED_COUNT = RETURNED.length;
type AfterRotation = NonNullable<ColumnSpec["afterRotation"]>;
const AFTER_ROTATION = KNOWN.map(([, spec]) => spec.afterRotation as AfterRotation);

function sqlNames(fields: readonly Field[]): string {
	return fields.map((field) => sessions[field].name).join(", ");
}

/** The columns a rotation returns, in the readers' order. */
export const ROTATED_COLUMNS = sqlNames(FIELDS.slice(0, RETURNED_COUNT));

/** As many `null`s as a full row has columns beyond {@link ROTATED_COLUMNS}: a rotated row padded to a full one's layout. */
export const ROTATED_PADDING = FIELDS.slice(RETURNED_COUNT)
	.map(() => "null")
	.join(", ");

/** Every column of a session, in the readers' order, {@link ROTATED_COLUMNS} first. */
export const SESSION_COLUMN_LIST = sqlNames(FIELDS);

type MutableRecord = Record<Field, unknown>;

/**
 * A fresh record to fill: a clone of the column literal has every field in one allocation (V8
 * gives an object literal's clone all its properties in-object), and each is overwritten.
 */
function blankRecord(): MutableRecord {
	return { ...SESSION_COLUMNS };
}

/** A session from a hand-written statement's row laid out as {@link SESSION_COLUMN_LIST}, starting at `at`. */
export function readSession(row: readonly unknown[], at: number): SessionRecord {
	const record = blankRecord();
	for (let i = 0; i < FIELDS.length; i++) record[FIELDS[i] as Field] = (DECODERS[i] as AnyDecoder)(row[at + i]);
	return record as SessionRecord;
}

/**
 * The session a rotation produced, from its row laid out as {@link ROTATED_COLUMNS} (starting
 * at `at`) and the rest exactly as the UPDATE wrote it.
 */
export function readRotatedSession(row: readonly unknown[], at: number, rotation: TokenRotation): SessionRecord {
	const record = blankRecord();
	for (let i = 0; i < RETURNED_COUNT; i++) record[FIELDS[i] as Field] = (DECODERS[i] as AnyDecoder)(row[at + i]);
	const returned = record as Pick<SessionRecord, ReturnedField>;
	for (let i = 0; i < AFTER_ROTATION.length; i++) record[FIELDS[RETURNED_COUNT + i] as Field] = (AFTER_ROTATION[i] as AfterRotation)(rotation, returned);
	return record as SessionRecord;
}

/** A session from a row that Drizzle's query builder mapped (`select()`, `.returning()`). */
export function builtRowRecord(row: RefreshKitSessionRow): SessionRecord {
	const record = blankRecord();
	for (let i = 0; i < FIELDS.length; i++) record[FIELDS[i] as Field] = row[FIELDS[i] as Field];
	return record as SessionRecord;
}

export function iso(date: Date): string {
	return date.toISOString();
}

export function isoOrNull(date: Date | null): string | null {
	return date === null ? null : date.toISOString();
}

/** A PostgreSQL array literal of values with no quote or backslash in them (uuids, hex, ISO times); null is NULL. */
function arrayLiteral(values: readonly (string | null)[]): string {
	return `{${values.map((value) => (value === null ? "NULL" : `"${value}"`)).join(",")}}`;
}

/** The parameters of the batched rotation (ROTATE_BATCH_SQL in statements.ts): one array per field, as text. */
export function batchParams(rotations: readonly TokenRotation[]) {
	return {
		ids: arrayLiteral(rotations.map((rotation) => rotation.sessionId)),
		presentedHashes: arrayLiteral(rotations.map((rotation) => encodeHexLowerCase(rotation.presentedHash))),
		successorHashes: arrayLiteral(rotations.map((rotation) => encodeHexLowerCase(rotation.successorHash))),
		sealedSuccessors: arrayLiteral(rotations.map((rotation) => encodeHexLowerCase(rotation.sealedSuccessor))),
		nows: arrayLiteral(rotations.map((rotation) => iso(rotation.now))),
		idleExpiries: arrayLiteral(rotations.map((rotation) => isoOrNull(rotation.idleExpiresAt))),
	};
}

/** The named parameters of an insert of `session` (see `insertValues` in statements.ts). */
export function sessionParams(session: SessionRecord) {
	return {
		id: session.id,
		subject: session.subject,
		device: session.device,
		claims: session.claims === null ? null : JSON.stringify(session.claims),
		mode: session.mode,
		familyHash: session.familyHash,
		tokenHash: session.tokenHash,
		previousHash: session.previousHash,
		sealedSuccessor: session.sealedSuccessor,
		rotatedAt: isoOrNull(session.rotatedAt),
		generation: session.generation,
		createdAt: iso(session.createdAt),
		lastUsedAt: iso(session.lastUsedAt),
		expiresAt: isoOrNull(session.expiresAt),
		absoluteExpiresAt: isoOrNull(session.absoluteExpiresAt),
		revokedAt: isoOrNull(session.revokedAt),
	};
}

export type SessionParamName = keyof ReturnType<typeof sessionParams>;
