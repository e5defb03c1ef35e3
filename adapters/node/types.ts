// Public types of the Node adapter.
import type { IncomingMessage } from "node:http";
import type { AccessClaims } from "../../core/access-token.js";
import type { AuthorizeResult as AccessCheckResult, HubResponse } from "../fetch/types.js";

/** Express/Connect's `next`. */
export type NextFunction = (error?: unknown) => void;

/** A request that passed `requireAuth`. */
export interface AuthenticatedRequest extends IncomingMessage {
	auth: AccessClaims;
}

/** The outcome of the Node `authorize`: the claims, or the refusal to write with `writeResponse`. */
export type AuthorizeResult = AccessCheckResult<HubResponse>;
