// The auth routes as Next.js App Router route handlers (which are fetch handlers).
import { fromFetchRequest } from "../fetch/handler.js";
import { createHub } from "../fetch/hub.js";
import { toFetchResponse } from "../fetch/responses.js";
import type { FetchHandlerOptions, HubService } from "../fetch/types.js";
import type { NextHandlers } from "./types.js";
import { publicURL } from "./url.js";

/**
 * Route handlers for every auth route. Put them in a catch-all route whose location matches
 * `basePath` (default `/auth` → `app/auth/[...path]/route.ts`).
 *
 * @example
 * ```ts
 * // app/auth/[...path]/route.ts
 * import { createNextHandlers } from "refresh-kit/adapters/next";
 * import { service, authOptions } from "@/lib/auth";
 *
 * export const { GET, POST, DELETE } = createNextHandlers(service, authOptions); // DELETE: the sessions routes
 * ```
 */
export function createNextHandlers(service: HubService, options: FetchHandlerOptions = {}): NextHandlers {
	const hub = createHub(service, options);
	async function handle(request: Request): Promise<Response> {
		return toFetchResponse(await hub.handle(fromFetchRequest(request, publicURL(request))));
	}
	return {
		GET: function GET(request: Request): Promise<Response> {
			return handle(request);
		},
		POST: function POST(request: Request): Promise<Response> {
			return handle(request);
		},
		DELETE: function DELETE(request: Request): Promise<Response> {
			return handle(request);
		},
	};
}
