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
	const { body } = response;
	// With writeHead before end, Node cannot know the length and would send the body chunked. The
	// body goes to end() as the string it is: Node then sends head and body as one string, where a
	// Buffer would be copied first and queued as a second chunk.
	res.writeHead(response.status, body === null ? response.headers : { ...response.headers, "content-length": String(Buffer.byteLength(body)) });
	if (body === null) res.end();
	else res.end(body, "utf8");
}
