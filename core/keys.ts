// Access-token signing keys: validation (synchronous, at createTokenService), import (once,
// cached) and the public JWKS. Refresh tokens never depend on these (see refresh-keys.ts).
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { hmacSha256, sha256, utf8 } from "./crypto.js";
import { TokenError } from "./errors.js";

/** The JWS algorithms refresh-kit signs access tokens with. Each key is pinned to exactly one (RFC 8725 §3.1). */
export type SigningAlgorithm = "HS256" | "EdDSA" | "ES256" | "RS256";

/**
 * The `keys` option: `{ secret }` for HS256 (at least 32 bytes), or a list of JWKs in which
 * the first (a private key) signs and every key verifies, which is how keys are rotated.
 */
export type KeysOption = { secret: string | Uint8Array } | readonly JWK[];

/** A public JSON Web Key Set: what `service.jwks()` returns. Never contains private or symmetric keys. */
export interface JSONWebKeySet {
	keys: JWK[];
}

export interface ResolvedKey {
	kid: string;
	alg: SigningAlgorithm;
	/** The public JWK to publish; null for symmetric keys, which are never published. */
	publicJwk: JWK | null;
	verifyKey: () => Promise<CryptoKey>;
	signKey: (() => Promise<CryptoKey>) | null;
	/** HS256 only: the secret, so that signing can run HMAC-SHA256 directly (see signAccessToken). */
	hmacSecret: Uint8Array | null;
}

export interface KeyRing {
	signing: ResolvedKey;
	all: readonly ResolvedKey[];
	byKid: ReadonlyMap<string, ResolvedKey>;
	algorithms: SigningAlgorithm[];
}

const MIN_SECRET_BYTES = 32;
const ASYMMETRIC: Record<string, { kty: string; crv?: string }> = {
	EdDSA: { kty: "OKP", crv: "Ed25519" },
	ES256: { kty: "EC", crv: "P-256" },
	RS256: { kty: "RSA" },
};

/**
 * Generates a signing key pair for access tokens and returns it as a one-element JWK list,
 * ready for the `keys` option and for storing as JSON (it contains the private key: keep it
 * secret). To rotate later, put a new key first and keep the old one after it.
 *
 * @example
 * ```ts
 * const keys = await generateSigningKeys("EdDSA");
 * process.env.AUTH_KEYS = JSON.stringify(keys); // persist it however you keep secrets
 * const service = createTokenService({ store, keys, issuer, audience });
 * ```
 */
export async function generateSigningKeys(algorithm: Exclude<SigningAlgorithm, "HS256"> = "EdDSA"): Promise<JWK[]> {
	if (!(algorithm in ASYMMETRIC)) {
		throw new TokenError("ERR_CONFIG_INVALID", `generateSigningKeys: unsupported algorithm ${String(algorithm)}; use EdDSA, ES256 or RS256`);
	}
	const { privateKey } = await generateKeyPair(algorithm, { extractable: true, ...(algorithm === "RS256" ? { modulusLength: 2048 } : {}) });
	const jwk = await exportJWK(privateKey);
	return [{ ...jwk, alg: algorithm, use: "sig", kid: thumbprint(jwk) }];
}

/** Resolves the `keys` option of a service: the first key must be able to sign. */
export function resolveKeys(option: unknown): KeyRing {
	const ring = resolveVerificationKeys(option);
	if (ring.signing.signKey === null) throw new TokenError("ERR_CONFIG_INVALID", "keys[0] signs tokens, so it must be a private or symmetric key");
	return ring;
}

/** Resolves keys for verification only: public JWKs are enough. */
export function resolveVerificationKeys(option: unknown): KeyRing {
	const all: ResolvedKey[] = [];
	if (isSecretOption(option)) {
		const secret = typeof option.secret === "string" ? utf8(option.secret) : option.secret;
		if (!(secret instanceof Uint8Array) || secret.length < MIN_SECRET_BYTES) {
			throw new TokenError("ERR_CONFIG_INVALID", `keys.secret must be at least ${MIN_SECRET_BYTES} bytes (RFC 7518 §3.2: an HS256 key must be as long as the hash)`);
		}
		all.push(symmetricKey(secret));
	} else if (Array.isArray(option)) {
		if (option.length === 0) throw new TokenError("ERR_CONFIG_INVALID", "keys must contain at least one JWK");
		for (const [index, jwk] of (option as unknown[]).entries()) all.push(jwkKey(jwk, index));
	} else {
		throw new TokenError("ERR_CONFIG_INVALID", "keys must be { secret } or a list of JWKs (see generateSigningKeys)");
	}
	const byKid = new Map<string, ResolvedKey>();
	for (const key of all) {
		if (byKid.has(key.kid)) throw new TokenError("ERR_CONFIG_INVALID", `keys: duplicate kid ${JSON.stringify(key.kid)}`);
		byKid.set(key.kid, key);
	}
	return { signing: all[0] as ResolvedKey, all, byKid, algorithms: [...new Set(all.map((key) => key.alg))] };
}

export function publicKeySet(ring: KeyRing): JSONWebKeySet {
	return { keys: ring.all.flatMap((key) => (key.publicJwk === null ? [] : [{ ...key.publicJwk }])) };
}

function isSecretOption(option: unknown): option is { secret: string | Uint8Array } {
	return typeof option === "object" && option !== null && !Array.isArray(option) && "secret" in option;
}

function symmetricKey(secret: Uint8Array): ResolvedKey {
	// The kid is a MAC of a fixed label, not a hash or a piece of the key. Like every HS256 token's
	// signature, it would let a guessable secret be tested offline: the secret must be random
	// (RFC 7518 §3.2 asks for at least 256 bits), which createTokenService checks the length of.
	const kid = "hs-" + encodeBase64urlNoPadding(hmacSha256(secret, utf8("refresh-kit/v1 kid"))).slice(0, 16);
	const imported = lazy(() => crypto.subtle.importKey("raw", secret.slice(), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]) as Promise<CryptoKey>);
	return { kid, alg: "HS256", publicJwk: null, verifyKey: imported, signKey: imported, hmacSecret: secret.slice() };
}

function jwkKey(input: unknown, index: number): ResolvedKey {
	const where = `keys[${index}]`;
	if (typeof input !== "object" || input === null || Array.isArray(input)) {
		throw new TokenError("ERR_CONFIG_INVALID", `${where} must be a JWK object`);
	}
	const jwk = input as JWK;
	if (jwk.kty === "oct") {
		if (jwk.alg !== undefined && jwk.alg !== "HS256") throw new TokenError("ERR_CONFIG_INVALID", `${where}: symmetric keys are HS256 only`);
		if (typeof jwk.k !== "string") throw new TokenError("ERR_CONFIG_INVALID", `${where}: an oct JWK needs "k"`);
		const secret = decodeKeyBytes(jwk.k, where);
		if (secret.length < MIN_SECRET_BYTES) throw new TokenError("ERR_CONFIG_INVALID", `${where}: an HS256 key must be at least ${MIN_SECRET_BYTES} bytes (RFC 7518 §3.2)`);
		const key = symmetricKey(secret);
		return typeof jwk.kid === "string" ? { ...key, kid: jwk.kid } : key;
	}
	const alg = (jwk.alg ?? inferAlgorithm(jwk)) as SigningAlgorithm;
	const shape = ASYMMETRIC[alg];
	if (shape === undefined || alg === "HS256") {
		throw new TokenError("ERR_CONFIG_INVALID", `${where}: unsupported alg ${JSON.stringify(jwk.alg)}; use EdDSA, ES256, RS256 or an oct key for HS256`);
	}
	if (jwk.kty !== shape.kty || (shape.crv !== undefined && jwk.crv !== shape.crv)) {
		throw new TokenError("ERR_CONFIG_INVALID", `${where}: alg ${alg} needs kty ${shape.kty}${shape.crv ? ` and crv ${shape.crv}` : ""}`);
	}
	if (jwk.use !== undefined && jwk.use !== "sig") throw new TokenError("ERR_CONFIG_INVALID", `${where}: use must be "sig"`);
	const publicJwk = toPublicJwk(jwk, alg);
	const kid = typeof jwk.kid === "string" && jwk.kid.length > 0 ? jwk.kid : thumbprint(publicJwk);
	publicJwk.kid = kid;
	const isPrivate = typeof jwk.d === "string";
	if (isPrivate) decodeKeyBytes(jwk.d as string, where);
	return {
		kid,
		alg,
		publicJwk,
		verifyKey: lazy(() => importKey(publicJwk, alg, where)),
		signKey: isPrivate ? lazy(() => importKey({ ...jwk, kid }, alg, where)) : null,
		hmacSecret: null,
	};
}

function inferAlgorithm(jwk: JWK): string | undefined {
	if (jwk.kty === "OKP" && jwk.crv === "Ed25519") return "EdDSA";
	if (jwk.kty === "EC" && jwk.crv === "P-256") return "ES256";
	if (jwk.kty === "RSA") return "RS256";
	return undefined;
}

function toPublicJwk(jwk: JWK, alg: SigningAlgorithm): JWK {
	const pub: JWK = { kty: jwk.kty as string, alg, use: "sig" };
	for (const name of ["crv", "x", "y", "n", "e"] as const) {
		if (typeof jwk[name] === "string") pub[name] = jwk[name];
	}
	return pub;
}

/** RFC 7638 JWK thumbprint (SHA-256) of a public key, computed synchronously. */
function thumbprint(jwk: JWK): string {
	const members = jwk.kty === "EC" ? ["crv", "kty", "x", "y"] : jwk.kty === "OKP" ? ["crv", "kty", "x"] : ["e", "kty", "n"];
	const canonical = JSON.stringify(Object.fromEntries(members.map((name) => [name, jwk[name as keyof JWK]])));
	return encodeBase64urlNoPadding(sha256(utf8(canonical)));
}

function decodeKeyBytes(value: string, where: string): Uint8Array {
	try {
		return decodeBase64urlIgnorePadding(value);
	} catch (cause) {
		throw new TokenError("ERR_CONFIG_INVALID", `${where}: key material is not base64url`, { cause });
	}
}

async function importKey(jwk: JWK, alg: SigningAlgorithm, where: string): Promise<CryptoKey> {
	try {
		return (await importJWK(jwk, alg)) as CryptoKey;
	} catch (cause) {
		throw new TokenError("ERR_CONFIG_INVALID", `${where}: the key could not be imported for ${alg}`, { cause });
	}
}

/** Imports once, on first use; a failed import is retried on the next use rather than cached. */
function lazy(load: () => Promise<CryptoKey>): () => Promise<CryptoKey> {
	let pending: Promise<CryptoKey> | null = null;
	return function getKey(): Promise<CryptoKey> {
		if (pending === null) {
			pending = load();
			pending.catch(() => {
				pending = null;
			});
		}
		return pending;
	};
}
