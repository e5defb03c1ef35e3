/**
 * A small client for the refresh-kit HTTP routes, for browsers and Node: it logs in, keeps
 * the access token in memory, refreshes it **once** however many callers need it at the same
 * moment (single flight), coordinates tabs through Web Locks and a BroadcastChannel where the
 * platform has them, and retries a request once after a 401.
 *
 * @example Browser, cookie mode (the refresh token stays in the server's HttpOnly cookie)
 * ```ts
 * import { createAuthClient } from "refresh-kit/client";
 *
 * const auth = createAuthClient({ baseUrl: "/auth" });
 * await auth.login({ username, password });
 * const response = await auth.fetch("/api/me"); // Authorization: Bearer …, refreshed as needed
 * await auth.logout();
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
import { systemClock, type Clock } from "../core/clock.js";
import { AuthClientError } from "./errors.js";

export { AUTH_CLIENT_ERROR_CODES, AuthClientError, isAuthClientError } from "./errors.js";
export type { AuthClientErrorCode } from "./errors.js";

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
	/** `fetch` with `Authorization: Bearer`; after a 401 it refreshes and retries once. */
	fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
	/** Ends the session on the server and forgets the tokens. */
	logout(): Promise<void>;
}

interface AccessState {
	token: string;
	/** Milliseconds on this client's clock; computed from `expires_in`, so server clock skew does not matter. */
	expiresAt: number;
}

interface SharedLocks {
	request(name: string, callback: () => Promise<unknown>): Promise<unknown>;
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
	let memoryToken: string | null = null;
	const storage: RefreshTokenStorage = options.storage ?? {
		load: () => memoryToken,
		save: (token) => {
			memoryToken = token;
		},
	};
	let access: AccessState | null = null;
	let inflight: Promise<string | null> | null = null;
	let ended = false;
	const channelName = `refresh-kit:${baseUrl}`;
	const locks = (globalThis as { navigator?: { locks?: SharedLocks } }).navigator?.locks;
	const channel = typeof BroadcastChannel === "function" && transport === "cookie" ? new BroadcastChannel(channelName) : null;
	// Node has BroadcastChannel too; an open channel must not keep a process alive.
	(channel as { unref?: () => void } | null)?.unref?.();
	channel?.addEventListener("message", function adoptFromOtherTab(event: Event) {
		const data = (event as MessageEvent).data as { token?: unknown; expiresIn?: unknown } | null;
		if (data === null) {
			access = null;
		} else if (typeof data.token === "string" && typeof data.expiresIn === "number") {
			access = { token: data.token, expiresAt: clock.now().getTime() + data.expiresIn * 1000 };
		}
	});

	function isFresh(state: AccessState | null): state is AccessState {
		return state !== null && state.expiresAt - marginMs > clock.now().getTime();
	}

	function endSession(reason: "logout" | "rejected"): void {
		access = null;
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
		access = { token: body.access_token, expiresAt: clock.now().getTime() + body.expires_in * 1000 };
		ended = false;
		channel?.postMessage({ token: body.access_token, expiresIn: body.expires_in });
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
		const seen = access?.token;
		const run = async (): Promise<string | null> => {
			// Another tab may have refreshed (and broadcast its token) while this one waited for the lock.
			if (isFresh(access) && access.token !== seen) return access.token;
			return refreshNow();
		};
		inflight = (locks === undefined || transport === "body" ? run() : (locks.request(channelName, run) as Promise<string | null>)).finally(() => {
			inflight = null;
		});
		return inflight;
	}

	async function getAccessToken(): Promise<string | null> {
		if (isFresh(access)) return access.token;
		return refresh();
	}

	async function authorizedFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
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
			const current = access;
			try {
				await post("logout", params, current === null ? undefined : `Bearer ${current.token}`);
			} finally {
				channel?.postMessage(null);
				endSession("logout");
			}
		},
	};
}
