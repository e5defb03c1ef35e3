/**
 * Next.js App Router adapter: route handlers for a catch-all auth route, `createNextProxy` for
 * `proxy.ts` / `middleware.ts` (refresh before the page renders), `authorize` for other route
 * handlers, and `verifyRequest` for Server Components, middleware and the Edge runtime.
 * Imports nothing from `next`: route handlers and the proxy are fetch handlers.
 *
 * @module
 */

export type { AccessRequest, AccessVerifier, AuthorizeOptions, AuthorizeResult, FetchHandlerOptions as NextHandlerOptions, HeadersLike } from "../fetch/types.js";
export { authorize, verifyRequest } from "./authorize.js";
export { createNextHandlers } from "./handlers.js";
export { createNextProxy } from "./proxy.js";
export type { NextHandlers, NextProxy, NextProxyOptions, NextProxyService } from "./types.js";
