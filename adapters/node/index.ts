/**
 * Node `http` (and Express/Connect) adapter: hands IncomingMessage to the fetch hub's logic and
 * writes its answer with one `writeHead` + `end`, without a fetch Request, body stream or
 * Response on the way. No globals are patched.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AccessClaims, TokenService } from "../../core/index.js";
import type { FetchHandlerOptions, HubService } from "../fetch/index.js";
import { checkAccess, isUnderBasePath, problem, resolveRealm, type AuthorizeOptions, type HubResponse } from "../fetch/http.js";
import { createHub } from "../fetch/hub.js";
import { toHubRequest } from "./request.js";

export type { AuthorizeOptions, FetchHandlerOptions as NodeHandlerOptions } from "../fetch/index.js";

/** Express/Connect's `next`. */
export type NextFunction = (error?: unknown) => void;
/** A request that passed {@link requireAuth}. */
export interface AuthenticatedRequest extends IncomingMessage {
	auth: AccessClaims;
}

// Bytes of an unread request body thrown away to keep the connection usable after an early
// answer (413, 405, …); a client sending more than this has the socket closed instead.
const DISCARD_LIMIT = 1 << 20;

/**
 * The auth routes as Node middleware. Paths outside `basePath` go to `next()` when given
 * (Express/Connect), else get a 404.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createNodeHandler } from "refresh-kit/adapters/node";
 *
 * const auth = createNodeHandler(service, { authenticate });
 * createServer((req, res) => auth(req, res, () => app(req, res))).listen(3000);
 * ```
 */
export function createNodeHandler(service: HubService, options: FetchHandlerOptions = {}): (req: IncomingMessage, res: ServerResponse, next?: NextFunction) => Promise<void> {
	const hub = createHub(service, options);
	const basePath = options.basePath ?? "/auth";
	return async function nodeAuthHandler(req: IncomingMessage, res: ServerResponse, next?: NextFunction): Promise<void> {
		// Express strips a mount path from req.url; originalUrl keeps the full path.
		const target = (req as { originalUrl?: string }).originalUrl ?? req.url ?? "/";
		if (next !== undefined && !isUnderBasePath(pathOf(target), basePath)) return next();
		try {
			const request = toHubRequest(req, target);
			writeResponse(request === null ? problem(400, "invalid_request", "the request could not be read") : await hub(request), res);
		} catch (error) {
			if (next !== undefined) next(error);
			else res.destroy();
		} finally {
			discardUnreadBody(req);
		}
	};
}

/**
 * Middleware that requires a valid access token (`Authorization: Bearer`, or the access
 * cookie when `options.cookie.accessTokenName` is set); sets `req.auth` to its claims, or
 * answers 401/400 per RFC 6750. Never touches the store.
 *
 * @example
 * ```ts
 * app.get("/api/me", requireAuth(service), (req, res) => res.json({ user: req.auth.sub }));
 * ```
 */
export function requireAuth(service: Pick<TokenService, "verify">, options: AuthorizeOptions = {}): (req: IncomingMessage, res: ServerResponse, next: NextFunction) => Promise<void> {
	resolveRealm(options);
	return async function requireAuthMiddleware(req: IncomingMessage, res: ServerResponse, next: NextFunction): Promise<void> {
		let result: Awaited<ReturnType<typeof checkAccess>>;
		try {
			result = await checkAccess(service, { get: (name) => headerValue(req, name) }, options);
		} catch (error) {
			return next(error);
		}
		if (result.claims === null) return writeResponse(result.problem, res);
		(req as AuthenticatedRequest).auth = result.claims;
		next();
	};
}

function pathOf(target: string): string {
	if (target.startsWith("/")) return target.split("?", 1)[0] as string;
	try {
		return new URL(target).pathname;
	} catch {
		return "";
	}
}

function headerValue(req: IncomingMessage, name: string): string | null {
	const value = req.headers[name.toLowerCase()];
	return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
}

function writeResponse(response: HubResponse, res: ServerResponse): void {
	// With writeHead before end, Node cannot know the length and would send the body chunked.
	const body = response.body === null ? null : Buffer.from(response.body);
	res.writeHead(response.status, body === null ? response.headers : { ...response.headers, "content-length": String(body.byteLength) });
	res.end(body ?? undefined);
}

function discardUnreadBody(req: IncomingMessage): void {
	if (req.complete || req.destroyed) return;
	let discarded = 0;
	req.on("data", (chunk: Buffer) => {
		discarded += chunk.byteLength;
		if (discarded > DISCARD_LIMIT) req.socket.destroy();
	});
	req.resume();
}
