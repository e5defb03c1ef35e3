// Checks of what the application passes to the service. A failure is ERR_INPUT_INVALID.
import { RESERVED_CLAIMS } from "./access-token.js";
import { TokenError } from "./errors.js";
import type { IssueInput } from "./types.js";

export const MAX_SUBJECT_LENGTH = 1024;
export const MAX_DEVICE_LENGTH = 256;
export const MAX_CLAIMS_BYTES = 8192;

// PostgreSQL text and jsonb cannot hold U+0000; refusing it here keeps every store's answer the same.
const NUL = "\u0000";

export function validateSubject(subject: unknown): asserts subject is string {
	if (typeof subject !== "string" || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH || subject.includes(NUL)) {
		throw new TokenError("ERR_INPUT_INVALID", `subject must be a non-empty string of at most ${MAX_SUBJECT_LENGTH} characters, without NUL`);
	}
}

export function validateIssueInput(input: IssueInput): void {
	if (typeof input !== "object" || input === null) throw new TokenError("ERR_INPUT_INVALID", "issue needs { subject, claims?, device? }");
	validateSubject(input.subject);
	if (input.device !== undefined && (typeof input.device !== "string" || input.device.length > MAX_DEVICE_LENGTH || input.device.includes(NUL))) {
		throw new TokenError("ERR_INPUT_INVALID", `device must be a string of at most ${MAX_DEVICE_LENGTH} characters, without NUL`);
	}
	if (input.claims === undefined) return;
	const claims = input.claims as unknown;
	if (typeof claims !== "object" || claims === null || Array.isArray(claims) || Object.getPrototypeOf(claims) !== Object.prototype) {
		throw new TokenError("ERR_INPUT_INVALID", "claims must be a plain object");
	}
	for (const name of Object.keys(claims)) {
		if (RESERVED_CLAIMS.has(name)) throw new TokenError("ERR_INPUT_INVALID", `claims may not set the registered claim "${name}"`);
	}
	let serialized: string;
	try {
		serialized = JSON.stringify(claims);
	} catch (cause) {
		throw new TokenError("ERR_INPUT_INVALID", "claims must be JSON-serializable", { cause });
	}
	if (serialized.length > MAX_CLAIMS_BYTES) throw new TokenError("ERR_INPUT_INVALID", `claims must serialize to at most ${MAX_CLAIMS_BYTES} bytes`);
	if (serialized.includes("\\u0000")) throw new TokenError("ERR_INPUT_INVALID", "claims must not contain NUL characters");
}
