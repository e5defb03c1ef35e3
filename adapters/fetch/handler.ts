// The fetch adapter proper: a fetch Request in, the hub, a fetch Response out.
import { readBody } from "./body.js";
import { createHub } from "./hub.js";
import { toFetchResponse } from "./responses.js";
import type { FetchHandler, FetchHandlerOptions, HubRequest, HubService } from "./types.js";

/**
 * Creates the HTTP handler of refresh-kit. Throws `ERR_CONFIG_INVALID` on bad options.
 *
 * @example
 * ```ts
 * import { createFetchHandler } from "refresh-kit/adapters/fetch";
 *
 * const auth = createFetchHandler(service, {
 *   authenticate: async (request, { username, password }) =>
 *     (await checkPassword(username, password)) ? { subject: username } : null,
 * });
 * Deno.serve((request) => auth(request)); // or Bun.serve({ fetch: auth }), or export default { fetch: auth }
 * ```
 */
export function createFetchHandler(service: HubService, options: FetchHandlerOptions = {}): FetchHandler {
	const hub = createHub(service, options);
	return async function handleAuthRequest(request: Request): Promise<Response> {
		return toFetchResponse(await hub.handle(fromFetchRequest(request)));
	};
}

/** A fetch `Request` as the hub reads it; `url` overrides `request.url` (the Next.js adapter's public URL). */
export function fromFetchRequest(request: Request, url: URL = new URL(request.url)): HubRequest {
	return {
		method: request.method,
		pathname: url.pathname,
		origin: url.origin,
		headers: request.headers,
		body: (limit) => readBody(request.body, limit),
		toRequest: (body) => new Request(url, { method: "POST", headers: request.headers, body: body.byteLength > 0 ? new Uint8Array(body) : null }),
	};
}
