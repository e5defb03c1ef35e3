/**
 * Node `http` (and Express/Connect) adapter: translates IncomingMessage to a fetch `Request`
 * for the hub and its `Response` back. No globals are patched.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { AccessClaims, TokenService } from "../../core/index.js";
import { createFetchHandler, type FetchHandlerOptions, type HubService } from "../fetch/index.js";
import { authorize, errorResponse, isUnderBasePath, resolveRealm, type AuthorizeOptions, type AuthorizeResult } from "../fetch/http.js";

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
	const handle = createFetchHandler(service, options);
	const basePath = options.basePath ?? "/auth";
	return async function nodeAuthHandler(req: IncomingMessage, res: ServerResponse, next?: NextFunction): Promise<void> {
		// Express strips a mount path from req.url; originalUrl keeps the full path.
		const target = (req as { originalUrl?: string }).originalUrl ?? req.url ?? "/";
		if (next !== undefined && !isUnderBasePath(pathOf(target), basePath)) return next();
		try {
			const request = toRequest(req, target);
			await writeResponse(request === null ? errorResponse(400, "invalid_request", "the request could not be read") : await handle(request), res);
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
		let result: AuthorizeResult;
		try {
			result = await authorize(service, { headers: { get: (name) => headerValue(req, name) } }, options);
		} catch (error) {
			return next(error);
		}
		if (result.response !== null) return writeResponse(result.response, res);
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

/** Null when the request cannot be expressed as a fetch Request (a TRACE, a header undici refuses). */
function toRequest(req: IncomingMessage, target: string): Request | null {
	const base = `${(req.socket as TLSSocket).encrypted === true ? "https" : "http"}://`;
	try {
		const url = URL.canParse(base + (req.headers.host ?? "")) ? new URL(target, base + req.headers.host) : new URL(target, base + "localhost");
		const headers = new Headers();
		const cookies: string[] = [];
		for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
			const name = req.rawHeaders[i] as string;
			const value = req.rawHeaders[i + 1] as string;
			// HTTP/2 may split the Cookie header; its parts join with "; ", not ", ".
			if (name.toLowerCase() === "cookie") cookies.push(value);
			else if (!name.startsWith(":")) headers.append(name, value);
		}
		if (cookies.length > 0) headers.set("cookie", cookies.join("; "));
		const hasBody = req.method !== "GET" && req.method !== "HEAD";
		// An earlier middleware (express.json(), express.urlencoded()) already read the body.
		const body = !hasBody ? null : req.readableEnded ? alreadyParsedBody(req, headers) : bodyStream(req);
		return new Request(url, { method: req.method ?? "GET", headers, body, duplex: "half" });
	} catch {
		return null;
	}
}

/** The body as a pull stream: nothing is read from the socket before the hub asks for it. */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
	let open = true;
	return new ReadableStream<Uint8Array>(
		{
			start(controller): void {
				req.pause();
				req.on("data", function onData(chunk: Buffer): void {
					// Once the hub stops reading (413), the rest is left to discardUnreadBody.
					if (!open) return;
					req.pause();
					controller.enqueue(new Uint8Array(chunk));
				});
				req.once("end", () => open && ((open = false), controller.close()));
				req.once("error", (error) => open && ((open = false), controller.error(error)));
				req.once("close", () => open && !req.complete && ((open = false), controller.error(new Error("request aborted"))));
			},
			pull(): void {
				req.resume();
			},
			cancel(): void {
				open = false;
			},
		},
		{ highWaterMark: 0 },
	);
}

/** Re-encodes what a body parser left in `req.body` as JSON; the hub's parser then applies its usual rules. */
function alreadyParsedBody(req: IncomingMessage, headers: Headers): string | Uint8Array<ArrayBuffer> | null {
	const parsed = (req as { body?: unknown }).body;
	if (parsed === undefined || parsed === null) return null;
	headers.delete("content-length");
	if (typeof parsed === "string") return parsed;
	if (parsed instanceof Uint8Array) return new Uint8Array(parsed);
	headers.set("content-type", "application/json");
	return JSON.stringify(parsed) ?? null;
}

async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
	const body = response.body === null ? null : new Uint8Array(await response.arrayBuffer());
	const headers: Record<string, string | string[]> = {};
	response.headers.forEach((value, name) => {
		if (name !== "set-cookie") headers[name] = value;
	});
	const cookies = response.headers.getSetCookie();
	if (cookies.length > 0) headers["set-cookie"] = cookies;
	res.writeHead(response.status, headers);
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
