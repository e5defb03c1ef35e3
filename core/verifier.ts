import { createRemoteJWKSet } from "jose";
import { type AccessClaims, createAccessTokenVerifier, createVerifierFunction } from "./access-token.js";
import { type Clock, type Duration, parseDuration, systemClock } from "./clock.js";
import { TokenError } from "./errors.js";
import { type KeysOption, resolveVerificationKeys, type SigningAlgorithm } from "./keys.js";

/** Options of {@link createVerifier}: exactly one of `jwksUrl` or `keys`. */
export interface VerifierOptions {
	/**
	 * The issuer's JWKS endpoint, e.g. `https://auth.example.com/auth/jwks`. Keys are fetched and
	 * cached by `kid`. Must be `https:`; plain `http:` only for a loopback host (`localhost`,
	 * `127.0.0.0/8`, `[::1]`), else `ERR_CONFIG_INVALID`.
	 */
	jwksUrl?: string | URL;
	/** Public JWKs (or `{ secret }` for HS256) to verify with, instead of `jwksUrl`. */
	keys?: KeysOption;
	issuer: string;
	audience: string | string[];
	/** Algorithms accepted from `jwksUrl` keys. Default: EdDSA, ES256, RS256 (never HS256 from a URL). */
	algorithms?: Exclude<SigningAlgorithm, "HS256">[];
	/** Default `"5s"`. */
	clockTolerance?: Duration;
	clock?: Clock;
}

export interface Verifier {
	/** Verifies an access token (signature with the pinned algorithm, `typ`, `iss`, `aud`, `exp`); never touches a store. */
	verify(accessToken: string): Promise<AccessClaims>;
}

/**
 * A verifier for services that only check access tokens: an API behind the auth server, an
 * edge middleware. It needs public keys only and never a database.
 *
 * @example
 * ```ts
 * import { createVerifier } from "refresh-kit";
 * const verifier = createVerifier({
 *   jwksUrl: "https://auth.example.com/auth/jwks",
 *   issuer: "https://auth.example.com",
 *   audience: "https://api.example.com",
 * });
 * const claims = await verifier.verify(bearerToken); // throws TokenError ERR_ACCESS_TOKEN_*
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
	if (typeof options !== "object" || options === null) throw new TokenError("ERR_CONFIG_INVALID", "createVerifier needs an options object");
	const clockTolerance = parseDuration(options.clockTolerance ?? "5s");
	if (clockTolerance === null) throw new TokenError("ERR_CONFIG_INVALID", "clockTolerance must be a duration");
	if (typeof options.issuer !== "string" || options.issuer.length === 0) throw new TokenError("ERR_CONFIG_INVALID", "issuer must be a non-empty string");
	if (options.audience === undefined || options.audience.length === 0) throw new TokenError("ERR_CONFIG_INVALID", "audience must be a non-empty string or list");
	const clock = options.clock ?? systemClock;
	const settings = { issuer: options.issuer, audience: options.audience, clockTolerance, now: () => clock.now() };
	if ((options.jwksUrl === undefined) === (options.keys === undefined)) {
		throw new TokenError("ERR_CONFIG_INVALID", "createVerifier needs exactly one of jwksUrl or keys");
	}
	if (options.keys !== undefined) {
		return { verify: createAccessTokenVerifier(resolveVerificationKeys(options.keys), settings) };
	}
	let url: URL;
	try {
		url = new URL(options.jwksUrl as string | URL);
	} catch (cause) {
		throw new TokenError("ERR_CONFIG_INVALID", "jwksUrl must be an absolute URL", { cause });
	}
	if (!isTrustedTransport(url)) {
		// Whoever can answer the JWKS fetch decides which keys verify: over plain http on a network,
		// that is anyone on the path, who could then mint access tokens for every API of this verifier.
		throw new TokenError("ERR_CONFIG_INVALID", "jwksUrl must use https: (plain http: only for localhost, 127.0.0.0/8 or [::1])");
	}
	const algorithms = options.algorithms ?? ["EdDSA", "ES256", "RS256"];
	if (algorithms.some((alg) => !["EdDSA", "ES256", "RS256"].includes(alg))) {
		// Accepting HS256 with keys from a URL is the classic algorithm-confusion hole (RFC 8725 §2.1).
		throw new TokenError("ERR_CONFIG_INVALID", "algorithms may contain only EdDSA, ES256 and RS256");
	}
	return { verify: createVerifierFunction(createRemoteJWKSet(url), algorithms, settings) };
}

// The URL parser has already normalized the host: `127.1` and `0x7f.0.0.1` arrive as `127.0.0.1`,
// IPv6 in brackets and compressed.
const LOOPBACK_IPV4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

function isTrustedTransport(url: URL): boolean {
	if (url.protocol === "https:") return true;
	if (url.protocol !== "http:") return false;
	return url.hostname === "localhost" || url.hostname === "[::1]" || LOOPBACK_IPV4.test(url.hostname);
}
