// RFC 9068 access tokens: signing with the pinned key, verification with the algorithm,
// `typ`, `iss`, `aud` and `exp` all checked.
import { type CryptoKey, type JWTHeaderParameters, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions, jwtVerify, SignJWT } from "jose";
import { encodeBase64url, type MacKey, mac, macKey, randomBytes, utf8 } from "./crypto.js";
import { TokenError } from "./errors.js";
import type { KeyRing, ResolvedKey } from "./keys.js";
import { verifyOwnHs256 } from "./own-hs256.js";

/** The claims of a verified access token. */
export interface AccessClaims extends JWTPayload {
	iss: string;
	sub: string;
	aud: string | string[];
	exp: number;
	iat: number;
	jti: string;
	/** The session id: revoke with `service.revokeSession(claims.sid)`. */
	sid: string;
	client_id?: string;
}

/** Claims a caller may not set: the registered JWT claims and the ones refresh-kit owns. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set(["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "client_id", "cnf", "scope_hash"]);

// Longer than any token this library signs (RSA-2048 with generous claims is under 2 KB);
// a bound keeps hostile input from costing a base64 decode of megabytes.
const MAX_ACCESS_TOKEN_LENGTH = 16_384;

export interface AccessTokenInput {
	subject: string;
	sessionId: string;
	claims: Record<string, unknown> | null;
	issuedAt: number;
	expiresAt: number;
}

export interface AccessTokenSettings {
	issuer: string;
	audience: string | string[];
	clientId: string | null;
}

export async function signAccessToken(ring: KeyRing, settings: AccessTokenSettings, input: AccessTokenInput): Promise<string> {
	const key = ring.signing;
	const payload: JWTPayload = {
		...input.claims,
		iss: settings.issuer,
		sub: input.subject,
		aud: settings.audience,
		exp: input.expiresAt,
		iat: input.issuedAt,
		jti: encodeBase64url(randomBytes(16)),
		sid: input.sessionId,
	};
	if (settings.clientId !== null) payload.client_id = settings.clientId;
	if (key.hmacSecret !== null) {
		// HS256 is one HMAC over the JWS signing input (RFC 7515 §5.1), computed here without
		// jose's SignJWT, which goes through WebCrypto (a thread-pool job per call) on the hot path
		// of every exchange (cost: bench/README.md, "known costs"). The bytes are the same: jose
		// serializes header and payload with JSON.stringify too, and tests verify every signed
		// token with jose.
		const input = `${encodedHeader(key)}.${encodeBase64url(utf8(JSON.stringify(payload)))}`;
		return `${input}.${encodeBase64url(mac(hmacKeyOf(key, key.hmacSecret), utf8(input)))}`;
	}
	const signKey = await (key.signKey as () => Promise<CryptoKey>)();
	const params = DIRECT_SIGNING[key.alg];
	if (params !== undefined) {
		// ES256 and EdDSA: the same JWS (RFC 7515 §5.1; Web Crypto's ECDSA signature is already the
		// r || s of RFC 7518 §3.4) signed by one Web Crypto call, without SignJWT's per-call deep
		// copy of the claims and header checks (bench/README.md, "known costs").
		const input = `${encodedHeader(key)}.${encodeBase64url(utf8(JSON.stringify(payload)))}`;
		const signature = new Uint8Array(await crypto.subtle.sign(params, signKey as unknown as Parameters<SubtleSign>[1], utf8(input) as Uint8Array<ArrayBuffer>));
		return `${input}.${encodeBase64url(signature)}`;
	}
	return new SignJWT(payload).setProtectedHeader(protectedHeader(key)).sign(signKey);
}

type SubtleSign = typeof crypto.subtle.sign;

/** Web Crypto's parameters for the algorithms signed without jose; RS256 stays with jose (it checks the modulus). */
const DIRECT_SIGNING: Partial<Record<ResolvedKey["alg"], Parameters<SubtleSign>[0]>> = {
	ES256: { name: "ECDSA", hash: "SHA-256" },
	EdDSA: { name: "Ed25519" },
};

function protectedHeader(key: ResolvedKey): JWTHeaderParameters {
	return { alg: key.alg, kid: key.kid, typ: "at+jwt" };
}

const macKeys = new WeakMap<ResolvedKey, MacKey>();

/** The HS256 secret prepared for HMAC once per key. */
function hmacKeyOf(key: ResolvedKey, secret: Uint8Array): MacKey {
	let prepared = macKeys.get(key);
	if (prepared === undefined) {
		prepared = macKey(secret);
		macKeys.set(key, prepared);
	}
	return prepared;
}

const encodedHeaders = new WeakMap<ResolvedKey, string>();

/** The base64url protected header signAccessToken writes for `key`, byte for byte. */
function encodedHeader(key: ResolvedKey): string {
	let encoded = encodedHeaders.get(key);
	if (encoded === undefined) {
		encoded = encodeBase64url(utf8(JSON.stringify(protectedHeader(key))));
		encodedHeaders.set(key, encoded);
	}
	return encoded;
}

export interface VerifySettings {
	issuer: string;
	audience: string | string[];
	clockTolerance: number;
	now: () => Date;
}

/** A verifier bound to a key ring: resolves the key by `kid` and pins its algorithm. */
export function createAccessTokenVerifier(ring: KeyRing, settings: VerifySettings): (token: unknown) => Promise<AccessClaims> {
	const loaded = new Map<string, CryptoKey>();
	const getKey = function resolveKey(header: JWTHeaderParameters): CryptoKey | Promise<CryptoKey> {
		const key = typeof header.kid === "string" ? ring.byKid.get(header.kid) : undefined;
		// RFC 8725 §3.1: each key is used with exactly one algorithm, whatever the header says.
		if (key === undefined || header.alg !== key.alg) throw new TokenError("ERR_ACCESS_TOKEN_INVALID", "access token is signed with an unknown key or algorithm");
		return loaded.get(key.kid) ?? loadKey(key);
	};
	// A token whose protected header is byte for byte the one signAccessToken writes for a loaded
	// key (so alg, kid and typ are known to match) gets that CryptoKey directly: jose then skips
	// the key-function path, a measurable share of verify's cost (bench/README.md). Anything else
	// takes getKey.
	const byHeader = new Map<string, CryptoKey>();
	async function loadKey(key: ResolvedKey): Promise<CryptoKey> {
		const cryptoKey = await key.verifyKey();
		loaded.set(key.kid, cryptoKey);
		byHeader.set(encodedHeader(key), cryptoKey);
		return cryptoKey;
	}
	// The service's own HS256 tokens are checked without jose when they pass (see own-hs256.ts).
	const ownHs256 = new Map<string, MacKey>();
	for (const key of ring.all) if (key.hmacSecret !== null) ownHs256.set(encodedHeader(key), hmacKeyOf(key, key.hmacSecret));
	return createVerifierFunction(
		getKey,
		ring.algorithms,
		settings,
		function knownKey(token: string): CryptoKey | undefined {
			return byHeader.get(token.slice(0, token.indexOf(".")));
		},
		ownHs256.size === 0 ? undefined : (token) => verifyOwnHs256(token, ownHs256, settings),
	);
}

export function createVerifierFunction(
	getKey: JWTVerifyGetKey | ((header: JWTHeaderParameters) => CryptoKey | Promise<CryptoKey>),
	algorithms: string[],
	settings: VerifySettings,
	knownKey?: (token: string) => CryptoKey | undefined,
	/** Claims of a token it accepts without jose, or null to ask jose (see own-hs256.ts). */
	accepted?: (token: string) => AccessClaims | null,
): (token: unknown) => Promise<AccessClaims> {
	// One options object for every call (a fresh object per call is a measurable share of
	// verify's cost, bench/README.md); jose reads `currentDate` once per verification, so the
	// getter still takes the time from the injected clock.
	const options: JWTVerifyOptions = {
		algorithms,
		typ: "at+jwt",
		issuer: settings.issuer,
		audience: settings.audience,
		clockTolerance: settings.clockTolerance,
		requiredClaims: ["sub", "exp", "iat", "jti", "sid"],
		get currentDate(): Date {
			return settings.now();
		},
	};
	return async function verifyAccessToken(token: unknown): Promise<AccessClaims> {
		if (typeof token !== "string" || token.length === 0 || token.length > MAX_ACCESS_TOKEN_LENGTH) {
			throw new TokenError("ERR_ACCESS_TOKEN_INVALID", "access token is missing or not a compact JWT");
		}
		const own = accepted?.(token);
		if (own !== undefined && own !== null) return own;
		let payload: JWTPayload;
		try {
			({ payload } = await jwtVerify(token, knownKey?.(token) ?? (getKey as JWTVerifyGetKey), options));
		} catch (cause) {
			throw toAccessTokenError(cause);
		}
		if (typeof payload.sub !== "string" || typeof payload.sid !== "string" || typeof payload.jti !== "string") {
			throw new TokenError("ERR_ACCESS_TOKEN_INVALID", "access token claims sub, sid and jti must be strings");
		}
		return payload as AccessClaims;
	};
}

function toAccessTokenError(cause: unknown): TokenError {
	if (cause instanceof TokenError) return cause;
	const code = typeof cause === "object" && cause !== null ? (cause as { code?: unknown }).code : undefined;
	if (code === "ERR_JWT_EXPIRED") return new TokenError("ERR_ACCESS_TOKEN_EXPIRED", "access token has expired", { cause });
	// jose's codes name the failed check without echoing the token.
	return new TokenError("ERR_ACCESS_TOKEN_INVALID", `access token is invalid (${typeof code === "string" ? code : "malformed"})`, { cause });
}
