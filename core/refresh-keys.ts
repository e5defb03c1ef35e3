// The server-held refresh secret (`refresh.secret`): every token hash, every successor seal and
// every reuse-mode token is keyed by it, so nothing in the store, in a query log or in a backup,
// combined with any number of retired tokens, yields a live token; and a party that only holds
// the access-token signing keys (every HS256 verifier does) cannot mint a refresh token.
import { encodeBase64, encodeBase64NoPadding, encodeHexLowerCase, encodeHexUpperCase } from "@oslojs/encoding";
import { encodeBase64url, hmacSha256, type MacKey, macKey, utf8 } from "./crypto.js";
import { TokenError } from "./errors.js";

/**
 * At least 32 bytes, and they must be random (256 bits of entropy): the secret is a key, never a
 * password. Nothing stretches it, and HMACs of it are public (the key id in every token, and in
 * reuse mode every token itself), so a guessable secret could be tested offline.
 */
export const MIN_REFRESH_SECRET_BYTES = 32;

/** The `refresh.secret` option: one secret, or a list for rotation (the first is used for new tokens, all are accepted). */
export type RefreshSecretOption = string | Uint8Array | readonly (string | Uint8Array)[];

/** The keys derived from one refresh secret, each for one purpose (a key is never used for two). */
export interface RefreshKey {
	/**
	 * Names the secret inside tokens and seals: 32 bits of HMAC(secret, label). With a random
	 * secret it reveals nothing; a guessable one could be checked against it offline (as against
	 * any token), which is why the secret must be random.
	 */
	id: number;
	/** Keys `tokenHash`: a database reader cannot even test a guessed token offline. */
	hashKey: Uint8Array;
	/** Keys the successor seal together with the presented token's secret. */
	sealKey: Uint8Array;
	/** Derives reuse mode's tokens from session ids. */
	reuseKey: Uint8Array;
	/** The three keys prepared for HMAC once, since every exchange uses them. */
	hashMac: MacKey;
	sealMac: MacKey;
	reuseMac: MacKey;
}

export interface RefreshKeyRing {
	/** The first listed secret: keys every new token, seal and derivation. */
	current: RefreshKey;
	/** Every listed secret by id: tokens and seals keyed by a secret no longer listed are refused. */
	byId: ReadonlyMap<number, RefreshKey>;
}

const HOW_TO_GENERATE = "generate one with `node -e \"console.log(require('node:crypto').randomBytes(32).toString('base64url'))\"` (or `openssl rand -base64 32`) and keep it with your other server secrets";

/**
 * Resolves `refresh.secret`. `signingSecrets` are the HS256 access-token secrets: a refresh
 * secret equal to one of them would be held by every service that verifies access tokens.
 */
export function resolveRefreshSecrets(option: unknown, signingSecrets: readonly Uint8Array[]): RefreshKeyRing {
	if (option === undefined || option === null) {
		throw new TokenError("ERR_CONFIG_INVALID", `refresh.secret is required: a server-held secret of at least ${MIN_REFRESH_SECRET_BYTES} bytes that keys every refresh token; ${HOW_TO_GENERATE}`);
	}
	const list = Array.isArray(option) ? (option as unknown[]) : [option];
	if (list.length === 0) throw new TokenError("ERR_CONFIG_INVALID", "refresh.secret must not be an empty list");
	const byId = new Map<number, RefreshKey>();
	const seen: Uint8Array[] = [];
	for (const [index, value] of list.entries()) {
		const where = Array.isArray(option) ? `refresh.secret[${index}]` : "refresh.secret";
		const secret = typeof value === "string" ? utf8(value) : value instanceof Uint8Array ? value : null;
		if (secret === null) throw new TokenError("ERR_CONFIG_INVALID", `${where} must be a string or a Uint8Array`);
		if (secret.length < MIN_REFRESH_SECRET_BYTES) {
			throw new TokenError("ERR_CONFIG_INVALID", `${where} must be at least ${MIN_REFRESH_SECRET_BYTES} bytes; ${HOW_TO_GENERATE}`);
		}
		if (signingSecrets.some((signing) => sameSecret(signing, secret))) {
			throw new TokenError("ERR_CONFIG_INVALID", `${where} must differ from the HS256 signing secret: every service that verifies access tokens holds that one`);
		}
		if (seen.some((other) => equalBytes(other, secret))) throw new TokenError("ERR_CONFIG_INVALID", `${where} is listed twice`);
		seen.push(secret);
		const key = deriveRefreshKey(secret);
		// Two different secrets with the same 32-bit id (one chance in four billion): refuse rather than guess.
		if (byId.has(key.id)) throw new TokenError("ERR_CONFIG_INVALID", `${where} has the same id as another listed secret; replace one of them`);
		byId.set(key.id, key);
	}
	return { current: byId.values().next().value as RefreshKey, byId };
}

function deriveRefreshKey(secret: Uint8Array): RefreshKey {
	const id = hmacSha256(secret, utf8("refresh-kit/v2 key id"));
	const hashKey = hmacSha256(secret, utf8("refresh-kit/v2 token hash key"));
	const sealKey = hmacSha256(secret, utf8("refresh-kit/v2 successor seal key"));
	const reuseKey = hmacSha256(secret, utf8("refresh-kit/v2 reuse-mode key"));
	return {
		id: (((id[0] as number) << 24) | ((id[1] as number) << 16) | ((id[2] as number) << 8) | (id[3] as number)) >>> 0,
		hashKey,
		sealKey,
		reuseKey,
		hashMac: macKey(hashKey),
		sealMac: macKey(sealKey),
		reuseMac: macKey(reuseKey),
	};
}

// Configuration time only: a plain comparison is fine here.
/**
 * The same secret, in any spelling one side may be given in: raw bytes, or their base64url,
 * base64 or hex text (an HS256 JWK's `k` is base64url of the bytes a `refresh.secret` string
 * might spell out).
 */
function sameSecret(a: Uint8Array, b: Uint8Array): boolean {
	return spellings(a).some((spelling) => equalBytes(spelling, b)) || spellings(b).some((spelling) => equalBytes(spelling, a));
}

function spellings(bytes: Uint8Array): Uint8Array[] {
	return [bytes, ...[encodeBase64url(bytes), encodeBase64(bytes), encodeBase64NoPadding(bytes), encodeHexLowerCase(bytes), encodeHexUpperCase(bytes)].map(utf8)];
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
	return a.length === b.length && a.every((byte, index) => byte === b[index]);
}
