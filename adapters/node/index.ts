/**
 * Node `http` (and Express/Connect) adapter: hands IncomingMessage to the fetch hub's logic and
 * writes its answer with one `writeHead` + `end`, without a fetch Request, body stream or
 * Response on the way. No globals are patched. `authorize` (and `requireAuth`, the same as
 * middleware) checks the access token of any other request.
 *
 * @module
 */

export type { AccessVerifier, AuthorizeOptions, FetchHandlerOptions as NodeHandlerOptions, HubResponse } from "../fetch/types.js";
export { authorize, requireAuth } from "./authorize.js";
export { createNodeHandler } from "./handler.js";
export { writeResponse } from "./response.js";
export type { AuthenticatedRequest, AuthorizeResult, NextFunction } from "./types.js";
