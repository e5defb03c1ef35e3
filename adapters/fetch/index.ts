/**
 * The fetch hub: every HTTP route of refresh-kit as one `(request: Request) => Promise<Response>`.
 * On Deno, Bun, Cloudflare Workers or any other fetch-style runtime it is used as is. The Node
 * and Next.js adapters share its logic (`hub.ts`) and only translate requests and responses.
 *
 * Routes under `basePath` (default `/auth`): `POST /login`, `POST /token` (RFC 6749 §6),
 * `POST /revoke` (RFC 7009), `POST /logout`, `GET /jwks`, and with `sessions: true` the caller's
 * own sessions (`GET /sessions`, `DELETE /sessions/{id}`, `DELETE /sessions`). Errors follow RFC 6749 §5.2:
 * JSON `{ error, error_description }`, with generic descriptions that never echo input.
 * `authorize` checks the access token of any other request (RFC 6750).
 *
 * @module
 */

export { authorize } from "./access.js";
export { describeUserAgent, deviceLabel } from "./device.js";
export { createFetchHandler } from "./handler.js";
export { errorResponse } from "./responses.js";
export type {
	AccessRequest,
	AccessVerifier,
	AuthorizeOptions,
	AuthorizeResult,
	CookieOptions,
	FetchHandler,
	FetchHandlerOptions,
	HeadersLike,
	HttpErrorEvent,
	HttpErrorReason,
	HubService,
	LoginResult,
	Params,
} from "./types.js";
