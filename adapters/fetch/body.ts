// Request bodies for the fetch hub: a bounded reader and a strict parser of OAuth
// parameters (form or flat JSON). Web platform only, like core/.
import type { Params } from "./types.js";

/** Why a body was refused. The hub maps each to a status and an RFC 6749 §5.2 error. */
export type BodyProblem = "too-large" | "unsupported-type" | "malformed" | "duplicate";

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
// biome-ignore lint/suspicious/noControlCharactersInRegex: RFC 8259 §7: a JSON string may not hold U+0000 to U+001F unescaped; the class refuses exactly those.
const JSON_STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const JSON_SPACE = /[ \t\n\r]*/y;
const PERCENT_OR_PLUS = /[%+]/;

/**
 * Reads at most `limit` bytes of a body stream; null when it holds more. The limit is
 * enforced on the bytes actually read, so a lying or absent Content-Length (chunked encoding)
 * cannot get more than `limit + 1` bytes buffered.
 */
export async function readBody(stream: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array | null> {
	if (stream === null) return new Uint8Array(0);
	const reader = stream.getReader();
	const chunks: Uint8Array[] = [];
	let total = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		total += value.byteLength;
		if (total > limit) {
			await reader.cancel().catch(() => undefined);
			return null;
		}
		chunks.push(value);
	}
	if (chunks.length === 1) return chunks[0] as Uint8Array;
	const bytes = new Uint8Array(total);
	let offset = 0;
	for (const chunk of chunks) {
		bytes.set(chunk, offset);
		offset += chunk.byteLength;
	}
	return bytes;
}

/** True when a Content-Length header already says the body is over `limit` (a refusal before reading). */
export function declaresTooLarge(contentLength: string | null, limit: number): boolean {
	return contentLength !== null && /^\d+$/.test(contentLength.trim()) && Number(contentLength) > limit;
}

/** Parses `application/x-www-form-urlencoded` or a flat JSON object of strings. An empty body has no parameters. */
export function parseParams(contentType: string | null, bytes: Uint8Array): { params: Params | null; problem: BodyProblem | null } {
	const params: Record<string, string> = Object.create(null) as Record<string, string>;
	if (bytes.byteLength === 0) return { params, problem: null };
	const mediaType = (contentType ?? "").split(";", 1)[0]?.trim().toLowerCase();
	if (mediaType !== "application/x-www-form-urlencoded" && mediaType !== "application/json") return { params: null, problem: "unsupported-type" };
	let text: string;
	try {
		text = decoder.decode(bytes);
	} catch {
		return { params: null, problem: "malformed" };
	}
	const pairs = mediaType === "application/json" ? jsonPairs(text) : formPairs(text);
	if (pairs === null) return { params: null, problem: "malformed" };
	for (const [name, value] of pairs) {
		// RFC 6749 §3.2: parameters MUST NOT be included more than once.
		if (name in params) return { params: null, problem: "duplicate" };
		params[name] = value;
	}
	return { params, problem: null };
}

function formPairs(text: string): Array<[string, string]> | null {
	const pairs: Array<[string, string]> = [];
	for (const piece of text.split("&")) {
		if (piece === "") continue;
		const equals = piece.indexOf("=");
		const name = decodeFormComponent(equals === -1 ? piece : piece.slice(0, equals));
		const value = decodeFormComponent(equals === -1 ? "" : piece.slice(equals + 1));
		if (name === null || value === null) return null;
		pairs.push([name, value]);
	}
	return pairs;
}

function decodeFormComponent(text: string): string | null {
	if (!PERCENT_OR_PLUS.test(text)) return text;
	try {
		// Strict: a stray "%" or a percent-encoded invalid UTF-8 sequence is malformed, not passed through.
		return decodeURIComponent(text.replaceAll("+", " "));
	} catch {
		return null;
	}
}

/** A flat JSON object whose values are all strings; anything else is malformed. Keeps duplicates visible. */
function jsonPairs(text: string): Array<[string, string]> | null {
	let index = 0;
	function skipSpace(): void {
		JSON_SPACE.lastIndex = index;
		JSON_SPACE.exec(text);
		index = JSON_SPACE.lastIndex;
	}
	function string(): string | null {
		JSON_STRING.lastIndex = index;
		const match = JSON_STRING.exec(text);
		if (match === null) return null;
		index = JSON_STRING.lastIndex;
		return JSON.parse(match[0]) as string;
	}
	const pairs: Array<[string, string]> = [];
	skipSpace();
	if (text[index++] !== "{") return null;
	skipSpace();
	if (text[index] === "}") {
		index++;
	} else {
		for (;;) {
			skipSpace();
			const name = string();
			skipSpace();
			if (name === null || text[index++] !== ":") return null;
			skipSpace();
			const value = string();
			if (value === null) return null;
			pairs.push([name, value]);
			skipSpace();
			const next = text[index++];
			if (next === "}") break;
			if (next !== ",") return null;
		}
	}
	skipSpace();
	return index === text.length ? pairs : null;
}
