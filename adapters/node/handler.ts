// The auth routes as Node middleware: IncomingMessage to the hub, its answer to the socket.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createHub } from "../fetch/hub.js";
import { isUnderBasePath } from "../fetch/paths.js";
import type { FetchHandlerOptions, HubService } from "../fetch/types.js";
import { toHubRequest } from "./request.js";
import { writeResponse } from "./response.js";
import type { NextFunction } from "./types.js";

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
			// A request fetch cannot express still gets its answer from the hub, so onError sees it.
			writeResponse(res, request === null ? hub.unreadable() : await hub.handle(request));
		} catch (error) {
			if (next !== undefined) next(error);
			else res.destroy();
		} finally {
			discardUnreadBody(req);
		}
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

function discardUnreadBody(req: IncomingMessage): void {
	if (req.complete || req.destroyed) return;
	let discarded = 0;
	req.on("data", (chunk: Buffer) => {
		discarded += chunk.byteLength;
		if (discarded > DISCARD_LIMIT) req.socket.destroy();
	});
	req.resume();
}
