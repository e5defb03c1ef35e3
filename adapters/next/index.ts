/**
 * Next.js App Router adapter: route handlers for a catch-all auth route, `authorize` for other
 * route handlers, and `verifyRequest` for Server Components, middleware and the Edge runtime.
 * Imports nothing from `next`: route handlers are fetch handlers.
 *
 * @module
 */
export { createNextHandlers } from "./handlers.js";
export { authorize, verifyRequest } from "./authorize.js";
export type { NextHandlers } from "./types.js";
export type { AccessRequest, AccessVerifier, AuthorizeOptions, AuthorizeResult, FetchHandlerOptions as NextHandlerOptions, HeadersLike } from "../fetch/types.js";
