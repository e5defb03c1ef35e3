// Resolves and validates createTokenService's options once; the result is frozen.

import { type Clock, type Duration, parseDuration, systemClock } from "./clock.js";
import { TokenError } from "./errors.js";
import type { ReuseAction, TokenEvent } from "./events.js";
import { type KeyRing, type KeysOption, resolveKeys } from "./keys.js";
import { TOKEN_STORE_VERBS, type TokenStore } from "./port.js";
import { type RefreshKeyRing, type RefreshSecretOption, resolveRefreshSecrets } from "./refresh-keys.js";
import { MAX_LIST_LIMIT } from "./types.js";

/** How refresh tokens behave. Every field has a secure default. */
export interface RefreshOptions {
	/**
	 * `"rotate"` (default): every exchange returns a new refresh token and retires the old one;
	 * presenting a retired token is reuse. `"reuse"`: the tutorial's long-lived token, handed
	 * back at every login of the same subject and device and on every exchange.
	 */
	mode?: "rotate" | "reuse";
	/** Sliding lifetime: a token unused this long expires. Default `"30d"`; null = never. */
	idleTtl?: Duration | null;
	/** Hard cap on a session from its first issue; rotation never extends it. Default `"90d"`; null = never. */
	absoluteTtl?: Duration | null;
	/** How long after a rotation the previous token still yields the same successor (concurrent refreshes). Default `"10s"`; 0 disables. */
	reuseGrace?: Duration;
	/** What reuse of a retired token outside the grace window does. Default `"revoke-session"`. */
	onReuse?: ReuseAction;
	/**
	 * **Required.** The server-held secret that keys every refresh-token hash, every successor
	 * seal and every reuse-mode token: at least 32 random bytes, as a string or bytes. Never the
	 * access-token signing key (every service that verifies access tokens may hold that).
	 *
	 * A list rotates it, as express-session's secret list does: the first keys new tokens, every
	 * listed one is accepted. Tokens and seals that depend only on a secret no longer listed are
	 * refused (`ERR_TOKEN_EXPIRED`). See "Rotating refresh.secret" in docs/token-format.md.
	 *
	 * @example
	 * ```ts
	 * refresh: { secret: process.env.REFRESH_SECRET! }                    // one secret
	 * refresh: { secret: [process.env.REFRESH_SECRET_NEW!, process.env.REFRESH_SECRET_OLD!] } // rotating
	 * ```
	 */
	secret: RefreshSecretOption;
	/**
	 * The most live sessions a subject may hold; a login beyond it revokes the subject's oldest
	 * sessions (event `revoked`, reason `session-limit`). Default null: no limit.
	 */
	maxSessionsPerSubject?: number | null;
	/**
	 * Whether v1 tokens (`rk1_`, from before `refresh.secret` existed) are still exchanged in rotate
	 * mode, each rotating into a v2 token. Default true, so an upgrade logs nobody out. Set it to
	 * false once every v1 session has rotated or expired (`idleTtl` after the upgrade), or at once if
	 * a backup taken before the upgrade may leak: a v1 seal in such a backup opens with a retired
	 * v1 token alone (docs/token-format.md, "Upgrading from v1"). v1 reuse-mode sessions are
	 * refused either way.
	 */
	acceptV1Tokens?: boolean;
}

/** The options of {@link createTokenService}. */
export interface TokenServiceOptions {
	/** Where sessions live: `memoryStore()`, `drizzleStore(db)` or your own {@link TokenStore}. */
	store: TokenStore;
	/** `{ secret }` (HS256, ≥ 32 bytes), `await generateSigningKeys("EdDSA")`, or a JWK list (first signs, all verify). */
	keys: KeysOption;
	/** The `iss` of every access token, checked on verification. */
	issuer: string;
	/** The `aud` of every access token, checked on verification. */
	audience: string | string[];
	/** Access-token lifetime. Default `"15m"`. */
	accessTokenTtl?: Duration;
	/** Leeway for `exp` when verifying access tokens (clock skew between machines). Default `"5s"`. */
	clockTolerance?: Duration;
	/** Adds the RFC 9068 `client_id` claim to every access token. */
	clientId?: string;
	/** How refresh tokens behave; `refresh.secret` is required. */
	refresh: RefreshOptions;
	/** The only source of time. Default: the system clock. */
	clock?: Clock;
	/** Receives lifecycle events; never carries token material. Exceptions it throws are swallowed. */
	onEvent?: (event: TokenEvent) => void;
	/** A store call that takes longer fails with `ERR_STORE_UNAVAILABLE`. Default `"5s"`; accepts `"250ms"`. */
	storeTimeout?: Duration | `${number}ms`;
}

export interface ResolvedOptions {
	store: TokenStore;
	ring: KeyRing;
	issuer: string;
	audience: string | string[];
	accessTokenTtl: number;
	clockTolerance: number;
	clientId: string | null;
	mode: "rotate" | "reuse";
	idleTtl: number | null;
	absoluteTtl: number | null;
	reuseGrace: number;
	onReuse: ReuseAction;
	refreshKeys: RefreshKeyRing;
	maxSessionsPerSubject: number | null;
	acceptV1Tokens: boolean;
	/** Reuse mode writes the sliding idle expiry at most this often (seconds). */
	touchInterval: number;
	clock: Clock;
	onEvent: ((event: TokenEvent) => void) | null;
	storeTimeoutMs: number;
}

const TOP_LEVEL = new Set(["store", "keys", "issuer", "audience", "accessTokenTtl", "clockTolerance", "clientId", "refresh", "clock", "onEvent", "storeTimeout"]);
const REFRESH_KEYS = new Set(["mode", "idleTtl", "absoluteTtl", "reuseGrace", "onReuse", "secret", "maxSessionsPerSubject", "acceptV1Tokens"]);

export function resolveOptions(options: TokenServiceOptions): Readonly<ResolvedOptions> {
	if (typeof options !== "object" || options === null) invalid("createTokenService needs an options object");
	rejectUnknown(options, TOP_LEVEL, "");
	// undefined means "the default"; null is only meaningful where documented ("never").
	const refresh = options.refresh as RefreshOptions | undefined;
	if (refresh === undefined) invalid("refresh: { secret } is required (the server-held secret that keys every refresh token)");
	if (typeof refresh !== "object" || refresh === null) invalid("refresh must be an object");
	rejectUnknown(refresh, REFRESH_KEYS, "refresh.");

	const store = options.store as Partial<TokenStore> | undefined;
	if (typeof store !== "object" || store === null || TOKEN_STORE_VERBS.some((name) => typeof store[name] !== "function")) {
		invalid("store must implement the TokenStore port (memoryStore(), drizzleStore(db), …)");
	}
	if (store.guarantees?.atomicRotation !== true) {
		invalid("store does not guarantee atomic rotation (guarantees.atomicRotation); refusing to run with a check-then-write race");
	}
	const issuer = nonEmptyString(options.issuer, "issuer");
	const audience = Array.isArray(options.audience) ? options.audience.map((value, index) => nonEmptyString(value, `audience[${index}]`)) : nonEmptyString(options.audience, "audience");
	if (Array.isArray(audience) && audience.length === 0) invalid("audience must not be empty");

	const mode = oneOf(refresh.mode === undefined ? "rotate" : refresh.mode, ["rotate", "reuse"] as const, "refresh.mode");
	const onReuse = oneOf(refresh.onReuse === undefined ? "revoke-session" : refresh.onReuse, ["revoke-session", "revoke-subject", "report-only"] as const, "refresh.onReuse");
	const idleTtl = refresh.idleTtl === null ? null : positive(refresh.idleTtl === undefined ? "30d" : refresh.idleTtl, "refresh.idleTtl");
	const absoluteTtl = refresh.absoluteTtl === null ? null : positive(refresh.absoluteTtl === undefined ? "90d" : refresh.absoluteTtl, "refresh.absoluteTtl");
	const reuseGrace = duration(refresh.reuseGrace === undefined ? "10s" : refresh.reuseGrace, "refresh.reuseGrace");
	const ring = resolveKeys(options.keys);

	const refreshKeys = resolveRefreshSecrets(
		refresh.secret,
		ring.all.flatMap((key) => (key.hmacSecret === null ? [] : [key.hmacSecret])),
	);
	const maxSessionsPerSubject = refresh.maxSessionsPerSubject ?? null;
	const acceptV1Tokens = refresh.acceptV1Tokens ?? true;
	if (typeof acceptV1Tokens !== "boolean") invalid("refresh.acceptV1Tokens must be true or false");
	if (maxSessionsPerSubject !== null && (!Number.isSafeInteger(maxSessionsPerSubject) || maxSessionsPerSubject < 1 || maxSessionsPerSubject > MAX_LIST_LIMIT)) {
		invalid(`refresh.maxSessionsPerSubject must be an integer from 1 to ${MAX_LIST_LIMIT}, or null`);
	}
	if (options.clientId !== undefined) nonEmptyString(options.clientId, "clientId");
	const clock = options.clock === undefined ? systemClock : options.clock;
	if (typeof clock !== "object" || clock === null || typeof clock.now !== "function") invalid("clock must be { now(): Date }");
	if (options.onEvent !== undefined && typeof options.onEvent !== "function") invalid("onEvent must be a function");

	return Object.freeze({
		store: store as TokenStore,
		ring,
		issuer,
		audience,
		accessTokenTtl: positive(options.accessTokenTtl === undefined ? "15m" : options.accessTokenTtl, "accessTokenTtl"),
		clockTolerance: duration(options.clockTolerance === undefined ? "5s" : options.clockTolerance, "clockTolerance"),
		clientId: options.clientId ?? null,
		mode,
		idleTtl,
		absoluteTtl,
		reuseGrace,
		onReuse,
		refreshKeys,
		maxSessionsPerSubject,
		acceptV1Tokens,
		touchInterval: idleTtl === null ? 3600 : Math.min(3600, Math.floor(idleTtl / 10)),
		clock,
		onEvent: options.onEvent === undefined ? null : options.onEvent,
		storeTimeoutMs: timeoutMs(options.storeTimeout === undefined ? "5s" : options.storeTimeout),
	});
}

function invalid(message: string): never {
	throw new TokenError("ERR_CONFIG_INVALID", message);
}

function rejectUnknown(value: object, known: ReadonlySet<string>, prefix: string): void {
	for (const key of Object.keys(value)) {
		if (!known.has(key)) invalid(`unknown option ${prefix}${key}; expected one of ${[...known].map((name) => prefix + name).join(", ")}`);
	}
}

function nonEmptyString(value: unknown, name: string): string {
	if (typeof value !== "string" || value.length === 0) invalid(`${name} must be a non-empty string`);
	return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
	if (!allowed.includes(value as T)) invalid(`${name} must be one of ${allowed.map((item) => JSON.stringify(item)).join(", ")}`);
	return value as T;
}

function duration(value: unknown, name: string): number {
	const seconds = parseDuration(value);
	if (seconds === null) invalid(`${name} must be a whole number of seconds or a string like "10s", "15m", "30d"`);
	return seconds;
}

function positive(value: unknown, name: string): number {
	const seconds = duration(value, name);
	if (seconds === 0) invalid(`${name} must be greater than zero (use null for "never" where allowed)`);
	return seconds;
}

function timeoutMs(value: unknown): number {
	if (typeof value === "string" && /^\d{1,9}ms$/.test(value.trim())) {
		const ms = Number.parseInt(value, 10);
		if (ms > 0) return ms;
	}
	const seconds = parseDuration(value);
	if (seconds === null || seconds === 0) invalid('storeTimeout must be a positive duration such as "5s" or "250ms"');
	return seconds * 1000;
}
