// The Feathers authentication service with refresh-kit's tokens: a login answers Feathers' result
// plus a refresh token, the `refresh` strategy rotates it, logout revokes the session, and every
// access token is an RFC 9068 token verified by the token service.
import { type AuthenticationParams, type AuthenticationRequest, type AuthenticationResult, AuthenticationService, type JwtVerifyOptions } from "@feathersjs/authentication";
import { GeneralError, NotAuthenticated } from "@feathersjs/errors";
import type { Application } from "@feathersjs/feathers";
import { decodeJwt } from "jose";
import type { AccessClaims } from "../../core/access-token.js";
import { type Clock, systemClock } from "../../core/clock.js";
import { encodeBase64url } from "../../core/crypto.js";
import type { TokenService, TokenSet } from "../../core/types.js";
import { feathersErrors } from "./errors.js";

// Feathers' own parameter types (jsonwebtoken's), taken from its signatures rather than imported.
type CreateArgs = Parameters<AuthenticationService["createAccessToken"]>;
type Secret = NonNullable<CreateArgs[2]>;

/**
 * Set by {@link RefreshKitAuthenticationService.create} on the params it authenticates with: the
 * refresh strategy exchanges a token only when it is there. A symbol, so no transport can send it.
 */
export const EXCHANGE_PARAM: unique symbol = Symbol.for("refresh-kit.feathers.exchange");

// Feathers' setup() insists on a string `authentication.secret` for its own HS256 tokens. This
// service signs none: access tokens come from the token service. The placeholder only satisfies
// that check; createAccessToken and verifyAccessToken never hand it to Feathers (see below). It is
// 256 random bits per process all the same: Feathers signs and verifies with `secretOverride ||
// secret`, so a public constant here would let anyone forge what any path reaching that fallback
// accepts (a subclass calling Feathers' own methods, another Feathers component).
const NO_FEATHERS_SECRET = `refresh-kit-unused-${encodeBase64url(crypto.getRandomValues(new Uint8Array(32)))}`;
// A User-Agent is a fine device label for reuse mode and listSessions, but the client chooses it.
const MAX_DEVICE_LENGTH = 200;

/** Options of {@link RefreshKitAuthenticationService}. */
export interface RefreshKitServiceOptions {
	/** The key of the authentication settings in `app.get()`. Default `"authentication"`. */
	configKey?: string;
	/** The clock of the socket expiry timers: pass the token service's `clock` if you gave it one. Default: the system clock. */
	clock?: Clock;
}

/**
 * Feathers' `AuthenticationService`, with refresh-kit issuing, rotating and revoking the tokens.
 *
 * - `create` with a login strategy (`local`, OAuth, …) answers what Feathers answers
 *   (`accessToken`, `authentication`, `user`) plus `refreshToken`; the subject is the entity id
 *   (Feathers' `getTokenOptions`), the extra claims are `getPayload`'s (`params.payload`), the
 *   device is {@link getDevice}'s.
 * - `create` with `{ strategy: "refresh", refreshToken }` ({@link RefreshStrategy}) answers the
 *   new access token and the rotated refresh token (the same one in reuse mode).
 * - `remove` (logout, `DELETE /authentication`) revokes the session of the access token.
 * - `verifyAccessToken` is the token service's `verify` (RFC 9068, algorithm pinned), so the
 *   `jwt` strategy and every `authenticate('jwt')` hook accept exactly refresh-kit's tokens.
 *
 * Token-service failures become Feathers errors with the library's code in `data.code`:
 * `NotAuthenticated` (401) for every token verdict, `Unavailable` (503) when the store failed.
 *
 * @example
 * ```ts
 * import { LocalStrategy } from "@feathersjs/authentication-local";
 * import { RefreshKitAuthenticationService, RefreshKitJWTStrategy, RefreshStrategy } from "refresh-kit/adapters/feathers";
 *
 * // settings: authentication: { entity: "user", service: "users", authStrategies: ["jwt", "local", "refresh"], local: {…} }
 * const authentication = new RefreshKitAuthenticationService(app, tokens); // tokens = createTokenService({...})
 * authentication.register("jwt", new RefreshKitJWTStrategy());
 * authentication.register("local", new LocalStrategy());
 * authentication.register("refresh", new RefreshStrategy());
 * app.use("authentication", authentication);
 * ```
 */
export class RefreshKitAuthenticationService extends AuthenticationService {
	/** The refresh-kit token service behind this authentication service. */
	readonly tokens: TokenService;
	/** The clock the socket expiry timers read. */
	readonly clock: Clock;

	constructor(app: Application, tokens: TokenService, options: RefreshKitServiceOptions = {}) {
		super(app, options.configKey ?? "authentication");
		this.tokens = tokens;
		this.clock = options.clock ?? systemClock;
	}

	// biome-ignore lint/suspicious/noExplicitAny: AuthenticationService declares `configuration` as any; an override must keep that type.
	override get configuration(): any {
		const configuration = super.configuration;
		return typeof configuration.secret === "string" ? configuration : { ...configuration, secret: NO_FEATHERS_SECRET };
	}

	/**
	 * Authenticates `data` with one of `authStrategies`. A login strategy's result gets a new
	 * session from the token service; the refresh and jwt strategies' results already carry
	 * their access token and are answered as they are.
	 */
	override async create(data: AuthenticationRequest, params: AuthenticationParams = {}): Promise<AuthenticationResult> {
		const authStrategies: string[] = params.authStrategies ?? this.configuration.authStrategies ?? [];
		if (authStrategies.length === 0) throw new NotAuthenticated("No authentication strategies allowed for creating a JWT (`authStrategies`)");
		const authResult = await this.authenticate(data, { ...params, [EXCHANGE_PARAM]: true }, ...authStrategies);
		if (authResult.accessToken) return authResult;
		const [payload, jwtOptions] = await Promise.all([this.getPayload(authResult, params), this.getTokenOptions(authResult, params)]);
		const subject: unknown = jwtOptions.subject;
		if (typeof subject !== "string" || subject === "") {
			throw new GeneralError("refresh-kit needs a subject for the session: configure `entity` and `service`, or set `params.jwtOptions.subject`");
		}
		const device = await this.getDevice(authResult, params);
		const tokens = await feathersErrors(() => this.tokens.issue({ subject, ...(Object.keys(payload).length > 0 ? { claims: payload } : {}), ...(device === undefined ? {} : { device }) }));
		return tokenResult(tokens, authResult);
	}

	/**
	 * Logout: verifies the access token as Feathers does, then revokes its session (the `sid`
	 * claim), so the refresh token stops working. Access tokens already out stay valid until
	 * their `exp`, as with any stateless access token.
	 */
	override async remove(id: string | null, params: AuthenticationParams = {}): Promise<AuthenticationResult> {
		// Feathers' remove reads `authentication.accessToken` unguarded: a TypeError (a 500) for a
		// DELETE /authentication/:id without credentials.
		if (typeof params.authentication !== "object" || params.authentication === null) throw new NotAuthenticated("Not authenticated");
		const result = await super.remove(id, params);
		const sessionId: unknown = result.authentication?.payload?.sid;
		if (typeof sessionId === "string") await feathersErrors(() => this.tokens.revokeSession(sessionId));
		return result;
	}

	/**
	 * Verifies a refresh-kit access token (`typ: at+jwt`, pinned algorithm, `iss`, `aud`, `exp`)
	 * with the token service; `optsOverride` cannot loosen that. With a non-empty
	 * `secretOverride` (a token of the application's own, such as a magic link) Feathers'
	 * verification runs as before; an empty one (`""`, `null`, zero bytes: an unset environment
	 * variable) counts as none, as in Feathers, so it is the token service's `verify` too.
	 */
	override async verifyAccessToken(accessToken: string, optsOverride?: JwtVerifyOptions, secretOverride?: Secret | null): Promise<AccessClaims> {
		if (isKey(secretOverride)) return (await super.verifyAccessToken(accessToken, optsOverride, secretOverride)) as AccessClaims;
		return feathersErrors(() => this.tokens.verify(accessToken));
	}

	/**
	 * Signs only with a non-empty `secretOverride` (tokens of the application's own). Access
	 * tokens come from the token service through `create`: one signed here would belong to no
	 * session and fail `verifyAccessToken`. An empty override (`""`, `null`, zero bytes) throws
	 * like none: Feathers would sign with the configured secret instead, here the placeholder.
	 */
	override async createAccessToken(payload: CreateArgs[0], optsOverride?: CreateArgs[1], secretOverride?: Secret | null): Promise<string> {
		if (isKey(secretOverride)) return super.createAccessToken(payload, optsOverride, secretOverride);
		throw new GeneralError("access tokens are issued by the refresh-kit token service (create with a login strategy); tokens of your own need a non-empty secretOverride");
	}

	/**
	 * The device label of a new session (listSessions shows it; reuse mode hands the same refresh
	 * token back per subject and device). Default: the request's `User-Agent`, at most 200
	 * characters. Override it in a subclass to label sessions otherwise.
	 */
	async getDevice(_authResult: AuthenticationResult, params: AuthenticationParams): Promise<string | undefined> {
		const agent: unknown = params.headers?.["user-agent"];
		return typeof agent === "string" && agent !== "" ? agent.slice(0, MAX_DEVICE_LENGTH) : undefined;
	}
}

/**
 * Whether `secret` is a key to hand to Feathers' own signing and verifying. Feathers falls back
 * to the configured secret (`secretOverride || secret`), here the placeholder, for a falsy one;
 * jsonwebtoken signs with a zero-length Buffer or KeyObject, which anyone can forge. Neither is a key.
 */
function isKey(secret: Secret | null | undefined): secret is Secret {
	if (!secret) return false;
	if (ArrayBuffer.isView(secret)) return secret.byteLength > 0;
	// A KeyObject, duck-typed (a key of another copy of node:crypto is one too).
	const { type, symmetricKeySize } = secret as { type?: unknown; symmetricKeySize?: unknown };
	return type !== "secret" || (typeof symmetricKeySize === "number" && symmetricKeySize > 0);
}

/** The result of a login or refresh: Feathers' shape (`accessToken`, `authentication`, the entity) plus `refreshToken`. */
export function tokenResult(tokens: TokenSet, authResult: AuthenticationResult): AuthenticationResult {
	const payload = decodeJwt(tokens.accessToken);
	return {
		accessToken: tokens.accessToken,
		...authResult,
		refreshToken: tokens.refreshToken,
		authentication: { ...authResult.authentication, accessToken: tokens.accessToken, payload },
	};
}
