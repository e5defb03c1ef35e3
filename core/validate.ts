// Checks of what the application passes to the service. A failure is ERR_INPUT_INVALID. What is
// checked is a copy made once: a getter, a proxy or an own `toJSON` cannot show the checks one
// value and the store or the signer another.
import { RESERVED_CLAIMS } from "./access-token.js";
import { utf8 } from "./crypto.js";
import { TokenError } from "./errors.js";
import type { IssueInput } from "./types.js";

export const MAX_SUBJECT_LENGTH = 1024;
export const MAX_DEVICE_LENGTH = 256;
export const MAX_CLAIMS_BYTES = 8192;
const MAX_CLAIMS_DEPTH = 16;

// U+0000 cannot be stored in PostgreSQL text or jsonb, and a lone UTF-16 surrogate is not valid
// Unicode: jsonb refuses it and text stores it as U+FFFD, so two different subjects would collide.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding U+0000 is the point: PostgreSQL cannot store it.
const NUL_OR_LONE_SURROGATE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function invalid(message: string): never {
	throw new TokenError("ERR_INPUT_INVALID", message);
}

/** A text the store can keep exactly as given. */
function isStorableText(value: string): boolean {
	return !NUL_OR_LONE_SURROGATE.test(value);
}

export function validateSubject(subject: unknown): asserts subject is string {
	if (typeof subject !== "string" || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH || !isStorableText(subject)) {
		invalid(`subject must be a non-empty string of at most ${MAX_SUBJECT_LENGTH} characters, without NUL or lone surrogates`);
	}
}

/** Reads `issue`'s input once and returns a validated copy of plain data: what is stored and signed. */
export function normalizeIssueInput(input: unknown): IssueInput {
	if (typeof input !== "object" || input === null) invalid("issue needs { subject, claims?, device? }");
	const { subject, claims, device } = input as Record<string, unknown>;
	validateSubject(subject);
	const copy: IssueInput = { subject };
	if (device !== undefined) {
		if (typeof device !== "string" || device.length > MAX_DEVICE_LENGTH || !isStorableText(device)) {
			invalid(`device must be a string of at most ${MAX_DEVICE_LENGTH} characters, without NUL or lone surrogates`);
		}
		copy.device = device;
	}
	if (claims !== undefined) copy.claims = copyClaims(claims);
	return copy;
}

function copyClaims(claims: unknown): Record<string, unknown> {
	if (!isPlainObject(claims)) invalid("claims must be a plain object");
	const copy = copyJson(claims, 0) as Record<string, unknown>;
	for (const name of Object.keys(copy)) {
		if (RESERVED_CLAIMS.has(name)) invalid(`claims may not set the registered claim "${name}"`);
	}
	if (utf8(JSON.stringify(copy)).length > MAX_CLAIMS_BYTES) invalid(`claims must serialize to at most ${MAX_CLAIMS_BYTES} bytes`);
	return copy;
}

/** A deep copy of JSON data (null, booleans, finite numbers, storable strings, arrays, plain objects), or ERR_INPUT_INVALID. */
function copyJson(value: unknown, depth: number): unknown {
	if (value === null || typeof value === "boolean") return value;
	if (typeof value === "number") {
		if (!Number.isFinite(value)) invalid("claims must be JSON data: numbers must be finite");
		return value;
	}
	if (typeof value === "string") {
		if (!isStorableText(value)) invalid("claims must not contain NUL characters or lone surrogates");
		return value;
	}
	if (depth >= MAX_CLAIMS_DEPTH) invalid(`claims must be nested at most ${MAX_CLAIMS_DEPTH} levels deep`);
	if (Array.isArray(value)) {
		if (Object.getPrototypeOf(value) !== Array.prototype) invalid("claims must be JSON data: an array subclass is not");
		const keys = Reflect.ownKeys(value);
		// Own keys of a dense array are its indices and "length"; holes or extra properties are not JSON.
		if (keys.length !== value.length + 1) invalid("claims must be JSON data: arrays may not have holes or extra properties");
		const copy: unknown[] = [];
		for (let index = 0; index < value.length; index++) copy.push(copyJson(dataValue(value, String(index)), depth + 1));
		return copy;
	}
	if (!isPlainObject(value)) invalid("claims must be JSON data: only plain objects, arrays, strings, finite numbers, booleans and null");
	const copy: Record<string, unknown> = {};
	for (const key of Reflect.ownKeys(value)) {
		if (typeof key !== "string") invalid("claims must be JSON data: symbol keys are not");
		if (key === "__proto__") invalid('claims may not use the key "__proto__"');
		if (!isStorableText(key)) invalid("claim names must not contain NUL characters or lone surrogates");
		copy[key] = copyJson(dataValue(value, key), depth + 1);
	}
	return copy;
}

/** The value of an own data property; an accessor (getter/setter) or a hidden property is refused. */
function dataValue(owner: object, key: string): unknown {
	const descriptor = Object.getOwnPropertyDescriptor(owner, key);
	if (descriptor === undefined || !("value" in descriptor)) invalid("claims must be JSON data: getters and setters are not");
	if (descriptor.enumerable !== true) invalid("claims must be JSON data: non-enumerable properties are not");
	return descriptor.value;
}

/** An object literal (`{…}`, `JSON.parse`): not a class instance, a Map, a Date or a null-prototype object. */
function isPlainObject(value: unknown): value is object {
	return typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}
