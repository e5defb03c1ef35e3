/**
 * A small client for the refresh-kit HTTP routes, for browsers and Node: it logs in, keeps
 * the access token in memory, refreshes it **once** however many callers need it at the same
 * moment (single flight), coordinates tabs through Web Locks and a BroadcastChannel where the
 * platform has them, and retries a request once after a 401. `auth.fetch` attaches the access
 * token only to the client's own origin and the `trustedOrigins` you list; a request to any other
 * origin goes out untouched.
 *
 * @example Browser, cookie mode (the refresh token stays in the server's HttpOnly cookie)
 * ```ts
 * import { createAuthClient } from "refresh-kit/client";
 *
 * const auth = createAuthClient({ baseUrl: "/auth" });
 * await auth.login({ username, password });
 * const response = await auth.fetch("/api/me"); // Authorization: Bearer …, refreshed as needed
 * await auth.fetch("https://cdn.example.net/x.json"); // another origin: no token, no refresh
 * await auth.logout();
 * ```
 *
 * @example An API on another origin of yours
 * ```ts
 * const auth = createAuthClient({ baseUrl: "/auth", trustedOrigins: ["https://api.example.com"] });
 * await auth.fetch("https://api.example.com/orders"); // Authorization: Bearer …
 * ```
 *
 * @example Node or a native app (the client holds the refresh token)
 * ```ts
 * const auth = createAuthClient({
 *   baseUrl: "https://auth.example.com/auth",
 *   transport: "body",
 *   storage: { load: () => readFile(path, "utf8").catch(() => null), save: (token) => saveToKeychain(token) },
 * });
 * ```
 * @module
 */
import { type Clock, systemClock } from "../core/clock.js";
import { AuthClientError } from "./errors.js";
import { createOriginPolicy } from "./origins.js";
import { createTokenTimeline, type HeldToken, parseTabMessage, type SharedLocks, type TabMessage, withLock } from "./tabs.js";

export type { AuthClientErrorCode } from "./errors.js";
export { AUTH_CLIENT_ERROR_CODES, AuthClientError, isAuthClientError } from "./errors.js";

/** Where a body-transport client keeps its refresh token between runs. */
export interface RefreshTokenStorage {
	load(): string | null | Promise<string | null>;
	save(token: string | null): void | Promise<void>;
}

export interface AuthClientOptions {
	/** URL of the auth routes (the server's basePath). Default `"/auth"`, same origin. */
	baseUrl?: string;
	/**
	 * `"cookie"` (default): the server keeps the refresh token in an HttpOnly cookie; this
	 * client never sees it. `"body"`: this client holds the refresh token (Node, native apps).
	 */
	transport?: "cookie" | "body";
	/** Body transport only: persistence of the refresh token. Default: memory. */
	storage?: RefreshTokenStorage;
	/** Default: the global `fetch`. */
	fetch?: typeof fetch;
	/** Refresh when the access token has fewer than this many seconds left. Default 30. */
	refreshMargin?: number;
	/**
	 * Origins besides the client's own that `fetch` sends the access token to (and refreshes
	 * after a 401 from), e.g. `["https://api.example.com"]`. The client's own origin is
	 * `location.origin` in a browser and, in Node, the origin of `baseUrl` when it is absolute.
	 * Requests to any other origin go out as given: no `Authorization` header, no refresh.
	 */
	trustedOrigins?: string[];
	/**
	 * Seconds a tab waits for the cross-tab refresh lock (Web Locks) before refreshing without it.
	 * Default 5. A tab that froze or crashed holding the lock then costs a wait, never the
	 * session: the server's grace window (`refresh.reuseGrace`) gives concurrent refreshes the
	 * same successor.
	 */
	lockTimeout?: number;
	/** Called once when the session ends: after `logout()`, or when the server rejects the refresh token. */
	onSessionEnd?: (reason: "logout" | "rejected") => void;
	clock?: Clock;
}

export interface AuthClient {
	/** POSTs the credentials to `{baseUrl}/login`. Resolves true on success, false on 401. */
	login(credentials: Record<string, string>): Promise<boolean>;
	/** A valid access token, refreshing first if it is missing or about to expire; null when logged out. */
	getAccessToken(): Promise<string | null>;
	/** Forces a refresh (shared with any refresh already in flight); null when the session has ended. */
	refresh(): Promise<string | null>;
	/**
	 * `fetch` with `Authorization: Bearer`; after a 401 it refreshes and retries once. Only for the
	 * client's own origin and `trustedOrigins`: a request elsewhere is passed to `fetch` as given.
	 */
	fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
	/** Ends the session on the server and forgets the tokens. */
	logout(): Promise<void>;
}

/** The error for a response the client cannot use: 503 is worth retrying, anything else is not. */
function unexpected(what: "login" | "refresh", response: Response): AuthClientError {
	if (response.status === 503) return new AuthClientError("ERR_SERVER_UNAVAILABLE", `the auth server is temporarily unavailable (${what}); retry shortly`, { status: 503 });
	return new AuthClientError("ERR_HTTP_UNEXPECTED", `the auth server answered the ${what} with HTTP ${response.status}`, { status: response.status });
}

/** Creates an {@link AuthClient}. */
export function createAuthClient(options: AuthClientOptions = {}): AuthClient {
	const baseUrl = (options.baseUrl ?? "/auth").replace(/\/+$/, "");
	const transport = options.transport ?? "cookie";
	if (transport !== "cookie" && transport !== "body") throw new AuthClientError("ERR_CONFIG_INVALID", 'transport must be "cookie" or "body"');
	const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
	const clock = options.clock ?? systemClock;
	const marginMs = (options.refreshMargin ?? 30) * 1000;
	const lockTimeout = options.lockTimeout ?? 5;
	if (typeof lockTimeout !== "number" || !(lockTimeout > 0) || !Number.isFinite(lockTimeout)) throw new AuthClientError("ERR_CONFIG_INVALID", "lockTimeout must be a positive number of seconds");
	const origins = createOriginPolicy(baseUrl, options.trustedOrigins);
	let memoryToken: string | null = null;
	const storage: RefreshTokenStorage = options.storage ?? {
		load: () => memoryToken,
		save: (token) => {
			memoryToken = token;
		},
	};
	const timeline = createTokenTimeline();
	let inflight: Promise<string | null> | null = null;
	let ended = false;
	const channelName = `refresh-kit:${baseUrl}`;
	const locks = (globalThis as { navigator?: { locks?: SharedLocks } }).navigator?.locks;
	const channel = typeof BroadcastChannel === "function" && transport === "cookie" ? new BroadcastChannel(channelName) : null;
	// Node has BroadcastChannel too; an open channel must not keep a process alive.
	(channel as { unref?: () => void } | null)?.unref?.();
	channel?.addEventListener("message", function adoptFromOtherTab(event: Event) {
		const message = parseTabMessage((event as MessageEvent).data);
		if (message !== null) timeline.offer(message);
	});

	function isFresh(state: HeldToken | null): state is HeldToken {
		return state !== null && state.expiresAt - marginMs > clock.now().getTime();
	}

	/** Holds what this client received (or its logout) and tells the other tabs. */
	function hold(token: string | null, expiresIn: number): void {
		const receivedAt = clock.now().getTime();
		timeline.record(token === null ? null : { token, expiresAt: receivedAt + expiresIn * 1000 }, receivedAt);
		const message: TabMessage = token === null ? { token, receivedAt } : { token, expiresIn, receivedAt };
		channel?.postMessage(message);
	}

	function endSession(reason: "logout" | "rejected"): void {
		timeline.record(null, clock.now().getTime());
		if (ended) return;
		ended = true;
		options.onSessionEnd?.(reason);
	}

	async function post(route: string, params: Record<string, string>, authorization?: string): Promise<Response> {
		const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" };
		if (authorization !== undefined) headers.Authorization = authorization;
		return doFetch(`${baseUrl}/${route}`, {
			method: "POST",
			headers,
			body: new URLSearchParams(params).toString(),
			credentials: "include",
		});
	}

	async function adopt(response: Response): Promise<string> {
		const body = (await response.json()) as { access_token?: unknown; expires_in?: unknown; refresh_token?: unknown };
		if (typeof body.access_token !== "string" || typeof body.expires_in !== "number") {
			throw new AuthClientError("ERR_HTTP_UNEXPECTED", "the auth server's token response lacks access_token or expires_in", { status: response.status });
		}
		if (transport === "body") {
			if (typeof body.refresh_token !== "string") throw new AuthClientError("ERR_HTTP_UNEXPECTED", "the token response has no refresh_token (is the server in cookie mode?)", { status: response.status });
			await storage.save(body.refresh_token);
		}
		hold(body.access_token, body.expires_in);
		ended = false;
		return body.access_token;
	}

	async function refreshNow(): Promise<string | null> {
		const params: Record<string, string> = { grant_type: "refresh_token" };
		if (transport === "body") {
			const refreshToken = await storage.load();
			if (refreshToken === null) return null;
			params.refresh_token = refreshToken;
		}
		const response = await post("token", params);
		if (response.ok) return adopt(response);
		if (response.status === 400 || response.status === 401) {
			// invalid_grant: the session is over (expired, revoked, or reuse was detected).
			if (transport === "body") await storage.save(null);
			endSession("rejected");
			return null;
		}
		throw unexpected("refresh", response);
	}

	function refresh(): Promise<string | null> {
		if (inflight !== null) return inflight;
		const seen = timeline.current()?.token;
		const run = async (): Promise<string | null> => {
			// Another tab may have refreshed (and broadcast its token) while this one waited for the lock.
			const held = timeline.current();
			if (isFresh(held) && held.token !== seen) return held.token;
			return refreshNow();
		};
		inflight = withLock(transport === "body" ? undefined : locks, channelName, lockTimeout * 1000, run).finally(() => {
			inflight = null;
		});
		return inflight;
	}

	async function getAccessToken(): Promise<string | null> {
		const held = timeline.current();
		if (isFresh(held)) return held.token;
		return refresh();
	}

	async function authorizedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
		// Another origin: neither the token nor a refresh on its 401 (a third party can answer 401 at will).
		if (!origins.trusts(input)) return doFetch(input, init);
		return fetchWithToken(input, init ?? {});
	}

	async function fetchWithToken(input: string | URL | Request, init: RequestInit): Promise<Response> {
		const send = (token: string | null): Promise<Response> => {
			const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
			if (token !== null) headers.set("Authorization", `Bearer ${token}`);
			return doFetch(input instanceof Request ? input.clone() : input, { ...init, headers });
		};
		const token = await getAccessToken();
		const response = await send(token);
		if (response.status !== 401 || token === null) return response;
		// The token was rejected (revoked key, clock skew): refresh once and try again.
		const renewed = await refresh();
		return renewed === null ? response : send(renewed);
	}

	return {
		async login(credentials: Record<string, string>): Promise<boolean> {
			const response = await post("login", credentials);
			if (response.status === 401) return false;
			if (!response.ok) throw unexpected("login", response);
			await adopt(response);
			return true;
		},
		getAccessToken,
		refresh,
		fetch: authorizedFetch,
		async logout(): Promise<void> {
			// A refresh still in flight would set its successor cookie after logout cleared it
			// (responses apply in arrival order): let it land first.
			await inflight?.catch(() => null);
			const params: Record<string, string> = {};
			if (transport === "body") {
				const refreshToken = await storage.load();
				if (refreshToken !== null) params.refresh_token = refreshToken;
				await storage.save(null);
			}
			// The access token lets the server end the session even if the refresh cookie is gone.
			const current = timeline.current();
			try {
				await post("logout", params, current === null ? undefined : `Bearer ${current.token}`);
			} finally {
				hold(null, 0);
				endSession("logout");
			}
		},
	};
}
