// The access check for Node: `authorize` on an IncomingMessage, and `requireAuth`, the same
// check as Express/Connect middleware.
import type { IncomingMessage, ServerResponse } from "node:http";
import { checkAccess, resolveAuthorizeOptions } from "../fetch/access.js";
import type { AccessVerifier, AuthorizeOptions } from "../fetch/types.js";
import { toAccessCheckRequest } from "./request.js";
import { writeResponse } from "./response.js";
import type { AuthenticatedRequest, AuthorizeResult, NextFunction } from "./types.js";

/**
 * Checks the access token of a request (`Authorization: Bearer`, else the access-token
 * cookie when `options.cookie.accessTokenName` is set): the claims, or the RFC 6750 refusal
 * to write with {@link writeResponse} (401 without a token or with a bad or expired one, 400
 * for a malformed `Authorization` header). The same check, options and outcomes as `authorize`
 * from `refresh-kit/adapters/fetch`; verification only, never the store.
 *
 * @example
 * ```ts
 * import { authorize, writeResponse } from "refresh-kit/adapters/node";
 *
 * const { claims, response } = await authorize(service, req, authOptions);
 * if (response) return writeResponse(res, response);
 * res.end(`hello ${claims.sub}`);
 * ```
 */
export async function authorize(verifier: AccessVerifier, req: IncomingMessage, options: AuthorizeOptions = {}): Promise<AuthorizeResult> {
	const resolved = resolveAuthorizeOptions(options);
	return checkAccess(verifier, toAccessCheckRequest(req), resolved);
}

/**
 * {@link authorize} as middleware, with the same options: sets `req.auth` to the claims and
 * calls `next()`, or writes the refusal. Options are checked here, once (`ERR_CONFIG_INVALID`).
 *
 * @example
 * ```ts
 * app.get("/api/me", requireAuth(service, authOptions), (req, res) => res.json({ user: req.auth.sub }));
 * ```
 */
export function requireAuth(verifier: AccessVerifier, options: AuthorizeOptions = {}): (req: IncomingMessage, res: ServerResponse, next: NextFunction) => Promise<void> {
	const resolved = resolveAuthorizeOptions(options);
	return async function requireAuthMiddleware(req: IncomingMessage, res: ServerResponse, next: NextFunction): Promise<void> {
		let result: AuthorizeResult;
		try {
			result = await checkAccess(verifier, toAccessCheckRequest(req), resolved);
		} catch (error) {
			return next(error);
		}
		if (result.claims === null) return writeResponse(res, result.response);
		(req as AuthenticatedRequest).auth = result.claims;
		next();
	};
}
