/**
 * An attacker on what is at rest, written from the documented formats (docs/token-format.md)
 * with node:crypto and nothing of the server's: it parses and formats tokens, tries every seal
 * construction it knows (the v1 seal, whose pad needed only the presented secret; the v2 seal
 * with every key it holds standing in for the server's refresh secret), walks forward from every
 * candidate it can confirm offline, and derives reuse-mode tokens from any key material it has.
 * Used by tests/core/at-rest.test.ts (memory) and tests/storage/drizzle-at-rest.test.ts
 * (pg_dump and a query log of a real PostgreSQL). Not a suite.
 */
import { createHash, createHmac } from "node:crypto";

export interface Raw {
	sid: Buffer;
	kid: Buffer | null;
	proof: Buffer;
	secret: Buffer;
}

export function parse(token: string): Raw {
	const body = Buffer.from(token.slice(4), "base64url");
	if (token.startsWith("rk1_")) return { sid: body.subarray(0, 16), kid: null, proof: body.subarray(16, 32), secret: body.subarray(32, 64) };
	return { sid: body.subarray(0, 16), kid: body.subarray(16, 20), proof: body.subarray(20, 36), secret: body.subarray(36, 68) };
}

export function format(raw: Raw): string {
	return raw.kid === null ? "rk1_" + Buffer.concat([raw.sid, raw.proof, raw.secret]).toString("base64url") : "rk2_" + Buffer.concat([raw.sid, raw.kid, raw.proof, raw.secret]).toString("base64url");
}

export function hmac(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
	const mac = createHmac("sha256", key);
	for (const part of parts) mac.update(part);
	return mac.digest();
}

export function sha256(...parts: Uint8Array[]): Buffer {
	const hash = createHash("sha256");
	for (const part of parts) hash.update(part);
	return hash.digest();
}

function xor(a: Uint8Array, b: Uint8Array): Buffer {
	return Buffer.from(a.map((byte, index) => byte ^ (b[index] as number)));
}

export const text = (value: string): Buffer => Buffer.from(value, "utf8");

/** What one snapshot (a dump row, a logged rotation) shows of a seal. */
export interface SealSighting {
	sessionId: string;
	sealed: Uint8Array;
	successorHash: Uint8Array;
}

/**
 * Every token the attacker can construct from `known` tokens, `sightings` of seals and `roots`
 * (key material it holds: signing secrets, private JWK members). It walks forward from every
 * candidate it can confirm offline (the candidate hashes to the sighted successor hash, as a v1
 * hash or as a v2 hash under a key it holds); unconfirmed candidates are kept too, as guesses.
 */
export function recover(known: string[], sightings: SealSighting[], roots: Uint8Array[]): Set<string> {
	const candidates = new Set<string>(known);
	const kids = new Set<string>();
	for (const token of known) {
		const kid = parse(token).kid;
		if (kid !== null) kids.add(kid.toString("hex"));
	}
	for (const root of roots) kids.add(hmac(root, text("refresh-kit/v2 key id")).subarray(0, 4).toString("hex"));
	for (const sighting of sightings) if (sighting.sealed.length === 36) kids.add(Buffer.from(sighting.sealed.subarray(0, 4)).toString("hex"));
	const hashKeys = roots.map((root) => hmac(root, text("refresh-kit/v2 token hash key")));
	const frontier = [...known];
	const walked = new Set<string>();
	while (frontier.length > 0) {
		const token = frontier.pop() as string;
		if (walked.has(token)) continue;
		walked.add(token);
		const presented = parse(token);
		for (const sighting of sightings) {
			if (presented.sid.toString("hex") !== sighting.sessionId.replaceAll("-", "")) continue;
			const bodies = sighting.sealed.length === 36 ? [sighting.sealed.subarray(4), sighting.sealed.subarray(0, 32)] : [sighting.sealed.subarray(0, 32)];
			// The presented secret alone as the seal key (the v1 construction, under either label)…
			const pads = [hmac(presented.secret, text("refresh-kit/v1 successor seal"), sighting.successorHash), hmac(presented.secret, text("refresh-kit/v2 successor seal"), sighting.successorHash)];
			// …and every key material the attacker holds standing in for the server's secret.
			for (const root of [...roots, presented.secret]) {
				pads.push(hmac(hmac(root, text("refresh-kit/v2 successor seal key")), text("refresh-kit/v2 successor seal"), presented.secret, sighting.successorHash));
			}
			for (const body of bodies) {
				for (const pad of pads) {
					const secret = xor(body, pad);
					const successorHash = Buffer.from(sighting.successorHash);
					const confirmed = sha256(presented.proof, secret).equals(successorHash) || hashKeys.some((key) => hmac(key, presented.proof, secret).equals(successorHash));
					for (const kid of [null, ...[...kids].map((hex) => Buffer.from(hex, "hex"))]) {
						const next = format({ ...presented, kid, secret });
						candidates.add(next);
						if (confirmed) frontier.push(next);
					}
				}
			}
		}
	}
	return candidates;
}

/** The reuse-mode token of `sessionId` as the attacker would derive it from `root` (v1 and v2 constructions). */
export function deriveReuseTokens(root: Uint8Array, sessionId: string): string[] {
	const sid = Buffer.from(sessionId.replaceAll("-", ""), "hex");
	const v1 = hmac(root, text("refresh-kit/v1 reuse-mode key"));
	const v2 = hmac(root, text("refresh-kit/v2 reuse-mode key"));
	return [
		format({ sid, kid: null, proof: hmac(v1, text("refresh-kit/v1 reuse-mode family proof"), sid).subarray(0, 16), secret: hmac(v1, text("refresh-kit/v1 reuse-mode secret"), sid) }),
		format({
			sid,
			kid: hmac(root, text("refresh-kit/v2 key id")).subarray(0, 4),
			proof: hmac(v2, text("refresh-kit/v2 reuse-mode family proof"), sid).subarray(0, 16),
			secret: hmac(v2, text("refresh-kit/v2 reuse-mode secret"), sid),
		}),
	];
}
