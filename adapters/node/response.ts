// Writing the hub's answer to a ServerResponse.
import type { ServerResponse } from "node:http";
import type { HubResponse } from "../fetch/types.js";

/**
 * Writes a response of refresh-kit (a refusal from `authorize`) with one `writeHead` + `end`,
 * with `Content-Length`.
 *
 * @example
 * ```ts
 * const { claims, response } = await authorize(service, req);
 * if (response) return writeResponse(res, response);
 * ```
 */
export function writeResponse(res: ServerResponse, response: HubResponse): void {
	// With writeHead before end, Node cannot know the length and would send the body chunked.
	const body = response.body === null ? null : Buffer.from(response.body);
	res.writeHead(response.status, body === null ? response.headers : { ...response.headers, "content-length": String(body.byteLength) });
	res.end(body ?? undefined);
}
