// The Feathers client side: @feathersjs/authentication-client's AuthenticationClient, keeping
// the refresh token next to the access token and refreshing it once per app when needed.
// Browser-safe: no Node APIs.
import { AuthenticationClient, type AuthenticationClientOptions } from "@feathersjs/authentication-client";
import { type FeathersError, NotAuthenticated } from "@feathersjs/errors";
import type { Application, HookContext, NextFunction, Params } from "@feathersjs/feathers";
import { decodeJwt } from "jose";
import { systemClock } from "../../../core/clock.js";
import type { RefreshKitAuthenticationResult, RefreshKitClientOptions } from "./options.js";

const DEFAULTS = { refreshStorageKey: "feathers-refresh-token", refreshStrategy: "refresh", refreshMargin: 30, renewSocket: true } as const;
// Marks the one retry of a call after a refresh: it must not refresh again.
const RETRIED: unique symbol = Symbol.for("refresh-kit.feathers.retried");
// setTimeout's largest delay (2^31 - 1 ms); a renewal further away is re-armed.
const MAX_TIMER_DELAY = 2_147_483_647;

type Storage = AuthenticationClientOptions["storage"];
type ServiceMethod = (...args: unknown[]) => Promise<unknown>;
type RetryParams = Params & { [RETRIED]?: boolean };

/**
 * An `AuthenticationClient` for servers using refresh-kit's Feathers adapter. Pass it as
 * `Authentication` to `@feathersjs/authentication-client` (or use {@link refreshKitClient}):
 *
 * - a login's `refreshToken` is kept in Feathers' `storage` under `refreshStorageKey`;
 * - `refresh()` exchanges it with `create({ strategy: "refresh", refreshToken })`, **once per
 *   app** however many callers need it at the same moment (single flight);
 * - a service call made when the access token is about to expire refreshes first; a call
 *   refused with `NotAuthenticated` because the token expired refreshes and is retried once;
 * - `reAuthenticate()` (page load, socket reconnect) refreshes instead of sending an expired
 *   access token; on Socket.io the connection is renewed before expiry (`renewSocket`);
 * - `logout()` revokes the session on the server and forgets both tokens. A refresh the server
 *   refuses (reuse, revocation, expiry) ends the session the same way: `NotAuthenticated`.
 *
 * @example
 * ```ts
 * import { feathers } from "@feathersjs/feathers";
 * import socketio from "@feathersjs/socketio-client";
 * import { refreshKitClient } from "refresh-kit/adapters/feathers/client";
 *
 * const app = feathers();
 * app.configure(socketio(io("https://api.example.com")));
 * app.configure(refreshKitClient({ storage: window.localStorage }));
 * await app.authenticate({ strategy: "local", email, password }); // -> { accessToken, refreshToken, user, … }
 * await app.service("messages").find();                            // refreshed as needed
 * ```
 */
export class RefreshKitAuthenticationClient extends AuthenticationClient {
	declare options: RefreshKitClientOptions;
	#refreshing: Promise<RefreshKitAuthenticationResult> | null = null;
	/** When the access token expires and when to renew it, in ms on this client's clock; null = unknown. */
	#expiresAt: number | null = null;
	#renewAt: number | null = null;
	/** Server clock minus this client's clock, measured on the last fresh token (its `iat`). */
	#skew = 0;
	#renewal: ReturnType<typeof setTimeout> | undefined;
	/** Counts the access tokens received: a call refused with an older one needs no new refresh. */
	#generation = 0;

	constructor(app: Application, options: Partial<RefreshKitClientOptions> & AuthenticationClientOptions) {
		super(app, { ...DEFAULTS, clock: systemClock, ...options } as RefreshKitClientOptions);
		// Registered before Feathers' own client hooks (init adds them after constructing this), so
		// it runs first: a token it renews is the one those hooks put on the call.
		app.hooks([(context: HookContext, next: NextFunction) => this.#aroundCall(context, next)]);
	}

	override authenticate(request?: Record<string, unknown>, params?: Params): Promise<RefreshKitAuthenticationResult> {
		if (!request) return this.reAuthenticate();
		return this.#publish(this.#send(request, params).catch((error: FeathersError) => this.handleError(error, "authenticate")));
	}

	/**
	 * Authenticates again with what storage holds (Feathers calls it on page load and when the
	 * socket reconnects): the access token while it is fresh, else the refresh token.
	 */
	override reAuthenticate(force = false, strategy?: string, authParams?: Params): Promise<RefreshKitAuthenticationResult> {
		const current: Promise<RefreshKitAuthenticationResult> | null = this.app.get("authentication");
		if (current && force !== true) return current;
		return this.#publish(this.#resume(strategy ?? this.options.jwtStrategy, authParams).catch((error: FeathersError) => this.handleError(error, "authenticate")));
	}

	/** Exchanges the stored refresh token for new tokens; concurrent callers share one exchange. */
	refresh(): Promise<RefreshKitAuthenticationResult> {
		return this.#publish(this.#refreshOnce().catch((error: FeathersError) => this.handleError(error, "authenticate")));
	}

	/** The stored refresh token, or null. */
	async getRefreshToken(): Promise<string | null> {
		const token: unknown = await this.#storage().getItem(this.options.refreshStorageKey);
		return typeof token === "string" && token !== "" ? token : null;
	}

	/** Logs out on the server (revoking the session; an expiring access token is renewed first) and forgets both tokens. */
	override async logout(): Promise<RefreshKitAuthenticationResult | null> {
		const result = await super.logout();
		await this.#forget();
		return result;
	}

	/** Feathers' handling, and a refused session (401–407) also forgets the refresh token. */
	// biome-ignore lint/suspicious/noExplicitAny: AuthenticationClient declares handleError to return any; an override must keep that type.
	override handleError(error: FeathersError, type: "authenticate" | "logout"): any {
		if (error.code > 400 && error.code < 408) return this.#forget().then(() => super.handleError(error, type));
		return super.handleError(error, type);
	}

	#publish(promise: Promise<RefreshKitAuthenticationResult>): Promise<RefreshKitAuthenticationResult> {
		this.app.set("authentication", promise);
		return promise;
	}

	/** Sends an authentication request and keeps what it answers. */
	async #send(request: Record<string, unknown>, params?: Params): Promise<RefreshKitAuthenticationResult> {
		const service = this.service;
		if (service.create === undefined) throw new NotAuthenticated("the authentication service cannot create");
		const result: RefreshKitAuthenticationResult = await service.create(request, params);
		this.authenticated = true;
		this.#generation++;
		await this.setAccessToken(result.accessToken);
		if (typeof result.refreshToken === "string") await this.#storage().setItem(this.options.refreshStorageKey, result.refreshToken);
		this.#track(result);
		this.app.emit("login", result);
		this.app.emit("authenticated", result);
		return result;
	}

	#refreshOnce(): Promise<RefreshKitAuthenticationResult> {
		if (this.#refreshing === null) {
			const flight = this.getRefreshToken().then((refreshToken) => {
				if (refreshToken === null) throw new NotAuthenticated("No refresh token found in storage");
				return this.#send({ strategy: this.options.refreshStrategy, refreshToken });
			});
			const done = (): void => {
				if (this.#refreshing === flight) this.#refreshing = null;
			};
			flight.then(done, done);
			this.#refreshing = flight;
		}
		return this.#refreshing;
	}

	async #resume(strategy: string, params?: Params): Promise<RefreshKitAuthenticationResult> {
		const [accessToken, refreshToken] = await Promise.all([this.getAccessToken(), this.getRefreshToken()]);
		if (refreshToken !== null && strategy === this.options.jwtStrategy && (accessToken === null || this.#isExpiring(accessToken))) return this.#refreshOnce();
		if (accessToken === null) throw new NotAuthenticated("No accessToken found in storage");
		try {
			return await this.#send({ strategy, accessToken }, params);
		} catch (error) {
			if (refreshToken === null || (error as FeathersError).code !== 401) throw error;
			return this.#refreshOnce();
		}
	}

	/** The around hook on every service call of the app. */
	async #aroundCall(context: HookContext, next: NextFunction): Promise<void> {
		const params = context.params as RetryParams;
		if (params[RETRIED] === true || (context.method === "create" && trimSlashes(context.path) === trimSlashes(this.options.path))) return next();
		if (this.#renewAt !== null && this.#renewAt <= this.#now()) await this.#renew();
		const generation = this.#generation;
		try {
			await next();
		} catch (error) {
			if (!(await this.#expiredAccess(error))) throw error;
			// Sent with a token that a refresh has replaced since: the retry carries the new one.
			if (this.#generation === generation) {
				try {
					await this.refresh();
				} catch {
					throw error;
				}
			}
			const retried: RetryParams = { ...params, [RETRIED]: true };
			context.result = await retry(context, retried);
		}
	}

	/** True for a `NotAuthenticated` caused by the access token (not by the call) while a refresh token is held. */
	async #expiredAccess(error: unknown): Promise<boolean> {
		const { code, data } = (error ?? {}) as { code?: unknown; data?: { code?: unknown } };
		if (code !== 401 || !this.authenticated) return false;
		const reason = data?.code;
		// A socket whose token expired has lost its authentication on the server: the refusal
		// then carries no code, and only the clock tells why.
		const expired = reason === "ERR_ACCESS_TOKEN_EXPIRED" || reason === "ERR_ACCESS_TOKEN_INVALID" || (this.#expiresAt !== null && this.#expiresAt <= this.#now());
		return expired && (await this.getRefreshToken()) !== null;
	}

	/**
	 * Renews ahead of expiry when a refresh token is held. A refused refresh ends the session; any
	 * other failure (503, network) leaves the current, still valid token in place for now.
	 */
	async #renew(): Promise<void> {
		if ((await this.getRefreshToken()) === null) return;
		try {
			this.app.set("authentication", Promise.resolve(await this.#refreshOnce()));
		} catch (error) {
			const code = (error as FeathersError).code;
			if (code > 400 && code < 408) await this.handleError(error as FeathersError, "authenticate").catch(() => undefined);
		}
	}

	#isExpiring(accessToken: string): boolean {
		let expiresAt = this.#renewAt;
		if (expiresAt === null) {
			try {
				expiresAt = Number(decodeJwt(accessToken).exp) * 1000 - this.#skew;
			} catch {
				return true;
			}
		}
		return !(expiresAt > this.#now());
	}

	#track(result: RefreshKitAuthenticationResult): void {
		const payload = (result.authentication?.payload ?? {}) as { exp?: unknown; iat?: unknown };
		const { exp, iat } = payload;
		if (typeof exp !== "number" || typeof iat !== "number") {
			this.#expiresAt = this.#renewAt = null;
			return;
		}
		// A token just issued dates this client's clock against the server's.
		if (typeof result.refreshToken === "string") this.#skew = iat * 1000 - this.#now();
		this.#expiresAt = exp * 1000 - this.#skew;
		this.#renewAt = this.#expiresAt - Math.min(this.options.refreshMargin * 1000, ((exp - iat) * 1000) / 2);
		this.#schedule();
	}

	#schedule(): void {
		clearTimeout(this.#renewal);
		if (!this.options.renewSocket || !this.app.io || this.#renewAt === null) return;
		const renewAt = this.#renewAt;
		this.#renewal = setTimeout(
			() => {
				if (this.#renewAt !== renewAt) return;
				if (renewAt > this.#now()) this.#schedule();
				else void this.#renew();
			},
			Math.min(Math.max(renewAt - this.#now(), 0), MAX_TIMER_DELAY),
		);
		// Node: a pending renewal must not keep the process alive.
		(this.#renewal as { unref?: () => void }).unref?.();
	}

	async #forget(): Promise<void> {
		clearTimeout(this.#renewal);
		this.#expiresAt = this.#renewAt = null;
		await this.#storage().removeItem(this.options.refreshStorageKey);
	}

	/** Feathers wraps whatever storage it was given in a StorageWrapper, which has every method. */
	#storage(): Required<Storage> {
		return this.storage as Required<Storage>;
	}

	#now(): number {
		return this.options.clock.now().getTime();
	}
}

/** Calls the hooked method again with `params`, as the caller first called it. */
function retry(context: HookContext, params: Params): Promise<unknown> {
	const service = context.service as Record<string, ServiceMethod>;
	const method = service[context.method] as ServiceMethod;
	switch (context.method) {
		case "find":
			return method.call(service, params);
		case "get":
		case "remove":
			return method.call(service, context.id, params);
		case "update":
		case "patch":
			return method.call(service, context.id, context.data, params);
		default:
			// create and custom methods: (data, params)
			return method.call(service, context.data, params);
	}
}

function trimSlashes(path: string): string {
	return path.replace(/^\/+|\/+$/g, "");
}
