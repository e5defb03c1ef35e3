// Every common spelling of secret bytes, for tests that search text (an identifier, a log, an
// error event) for a secret: finding only the plaintext misses a secret that leaked as hex or
// base64. Not a suite (the runner only picks up *.test.ts).
import { createHash } from "node:crypto";

/** The bytes as text in every encoding a log line or an identifier could carry them. */
export function spellings(bytes: Uint8Array): string[] {
	const buffer = Buffer.from(bytes);
	const hex = buffer.toString("hex");
	return [buffer.toString("latin1"), hex, hex.toUpperCase(), [...buffer].map((byte) => byte.toString(16).padStart(2, "0")).join(" "), buffer.toString("base64"), buffer.toString("base64url"), [...buffer].join(",")];
}

/** The spellings of `secret` and of its unkeyed SHA-256 (a fast offline check of a guessed secret). */
export function secretSpellings(secret: string | Uint8Array): string[] {
	const bytes = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
	return [...spellings(bytes), ...spellings(createHash("sha256").update(bytes).digest())];
}

/**
 * The first `width`-character piece of `text` found in one of `haystacks`, or null. A random
 * identifier shares no 8-character piece with a spelling of a secret (odds below 2^-40 each).
 */
export function sharedPiece(text: string, haystacks: readonly string[], width = 8): string | null {
	for (let start = 0; start + width <= text.length; start++) {
		const piece = text.slice(start, start + width);
		if (haystacks.some((haystack) => haystack.includes(piece))) return piece;
	}
	return null;
}
