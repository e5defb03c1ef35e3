// The caller's own sessions over HTTP (a "your devices" page), served when `sessions: true`:
// GET {base}/sessions, DELETE {base}/sessions/{id}, DELETE {base}/sessions (all but the current
// one). Authenticated by the access token through the access check every adapter uses.
import type { AccessClaims } from "../../core/access-token.js";
import { TokenError } from "../../core/errors.js";
import type { SessionInfo, TokenService } from "../../core/types.js";
import { inspectAccess, resolveAuthorizeOptions } from "./access.js";
import type { ResolvedHttpOptions } from "./options.js";
import { type ErrorResponder, JSON_TYPE, NO_STORE } from "./responses.js";
import { type SessionCookies, withStaleCookiesDeleted } from "./session-cookies.js";
import type { FetchHandlerOptions, HubRequest, HubResponse, HubService } from "./types.js";

const ROUTE = "sessions";
const COLLECTION = "/sessions";
const ONE = /^\/sessions\/([^/]+)$/;
const COLLECTION_METHODS = ["GET", "HEAD", "DELETE"] as const;
const ONE_METHODS = ["DELETE"] as const;
// Bounded like every listing (core MAX_LIST_LIMIT); the caller's own session may lie beyond it.
const LIST_LIMIT = 1000;

type SessionsService = Pick<TokenService, "verify" | "listSessions" | "getSession" | "revokeSession" | "revokeSubject">;

/** A session as `GET {base}/sessions` lists it: no token material, times as ISO 8601 strings. */
interface SessionEntry {
	id: string;
	device: string | null;
	created_at: string;
	last_used_at: string;
	expires_at: string | null;
	current: boolean;
}

export interface SessionRoutes {
	/** The answer to a request for a path below the base path, or null when that path is not a sessions route. */
	handle(request: HubRequest, below: string): Promise<HubResponse | null>;
}

/**
 * The sessions routes, or null when they are off. `options` are the handler's, as given: the
 * access check reads what it needs from them. Throws `ERR_CONFIG_INVALID` when the service lacks
 * what the routes need.
 */
export function createSessionRoutes(service: HubService, options: FetchHandlerOptions, config: ResolvedHttpOptions, responder: ErrorResponder, cookies: SessionCookies | null): SessionRoutes | null {
	if (!config.sessions) return null;
	if (typeof service.listSessions !== "function" || typeof service.getSession !== "function" || typeof service.revokeSubject !== "function") {
		throw new TokenError("ERR_CONFIG_INVALID", "createFetchHandler: sessions: true needs a service with listSessions, getSession and revokeSubject");
	}
	const sessions = service as SessionsService;
	const access = resolveAuthorizeOptions(options);
	const { fail, failFromException, forward } = responder;

	/**
	 * Whether the access token's own session is still live: an access token outlives a revocation
	 * by up to its lifetime, and a device just signed out must not use that time to sign the others
	 * out in turn. One lookup by id, however many sessions the subject has.
	 */
	async function isLive(claims: AccessClaims): Promise<boolean> {
		return (await sessions.getSession(claims.sid, { subject: claims.sub })) !== null;
	}

	function sessionEnded(): HubResponse {
		const challenge = `Bearer realm="${access.realm}", error="invalid_token"`;
		return fail(ROUTE, "ERR_SESSION_ENDED", { headers: { "WWW-Authenticate": challenge } });
	}

	async function list(claims: AccessClaims): Promise<HubResponse> {
		const live = await sessions.listSessions(claims.sub, { limit: LIST_LIMIT });
		// Listed, it is live. A shorter listing than the limit holds every live session, so one
		// without it proves it ended; only a full one needs the lookup.
		const listed = live.some((session) => session.id === claims.sid);
		if (!listed && (live.length < LIST_LIMIT || !(await isLive(claims)))) return sessionEnded();
		const entries = live.map((session) => toEntry(session, claims.sid));
		return { status: 200, headers: { ...NO_STORE, "content-type": JSON_TYPE }, body: JSON.stringify({ sessions: entries }) };
	}

	async function revokeOne(claims: AccessClaims, id: string): Promise<HubResponse> {
		if (!(await isLive(claims))) return sessionEnded();
		// Ownership is checked by the service: someone else's id and an unknown one both answer
		// false after the same single lookup, so both get the same 404.
		const revoked = await sessions.revokeSession(id, { subject: claims.sub });
		return revoked ? { status: 204, headers: { ...NO_STORE }, body: null } : fail(ROUTE, "ERR_SESSION_NOT_FOUND");
	}

	async function revokeOthers(claims: AccessClaims): Promise<HubResponse> {
		if (!(await isLive(claims))) return sessionEnded();
		const revoked = await sessions.revokeSubject(claims.sub, { except: claims.sid });
		return { status: 200, headers: { ...NO_STORE, "content-type": JSON_TYPE }, body: JSON.stringify({ revoked }) };
	}

	return {
		async handle(request: HubRequest, below: string): Promise<HubResponse | null> {
			const id = below === COLLECTION ? null : ONE.exec(below)?.[1];
			if (id === undefined) return null;
			const methods: readonly string[] = id === null ? COLLECTION_METHODS : ONE_METHODS;
			if (!methods.includes(request.method)) return fail(ROUTE, "ERR_METHOD", { headers: { Allow: methods.join(", ") } });
			try {
				const checked = await inspectAccess(sessions, { headers: request.headers, method: request.method, origin: request.origin }, access);
				if (checked.claims === null) {
					const refused = forward(ROUTE, checked.response, checked.reason);
					return checked.reason === "ERR_COOKIE_DUPLICATE" ? withStaleCookiesDeleted(cookies, refused) : refused;
				}
				if (id !== null) return await revokeOne(checked.claims, id);
				return request.method === "DELETE" ? await revokeOthers(checked.claims) : await list(checked.claims);
			} catch (cause) {
				return failFromException(ROUTE, cause);
			}
		},
	};
}

function toEntry(session: SessionInfo, current: string): SessionEntry {
	return {
		id: session.id,
		device: session.device,
		created_at: session.createdAt.toISOString(),
		last_used_at: session.lastUsedAt.toISOString(),
		expires_at: session.expiresAt === null ? null : session.expiresAt.toISOString(),
		current: session.id === current,
	};
}
