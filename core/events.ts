/** What `refresh.onReuse` does when a retired refresh token is presented. */
export type ReuseAction = "revoke-session" | "revoke-subject" | "report-only";

/**
 * Why a session was revoked: `logout` (its refresh token), `admin` (`revokeSession`, or reuse
 * mode retiring a session no login can reach), `subject` (`revokeSubject`), `reuse` (reuse
 * detection), `session-limit` (`refresh.maxSessionsPerSubject`).
 */
export type RevocationReason = "logout" | "admin" | "subject" | "reuse" | "session-limit";

/** What every event carries. */
interface TokenEventBase {
	subject: string;
	sessionId: string;
	/** From the service's clock. */
	at: Date;
}

/**
 * A lifecycle event passed to `onEvent`, keyed on `type`; each type carries exactly its own
 * fields. None carries token material.
 *
 * @example
 * ```ts
 * onEvent(event) {
 *   if (event.type === "reuse-detected") alert(`reuse in session ${event.sessionId}: ${event.action}`);
 *   if (event.type === "revoked") audit.log(event.reason, event.subject);
 * }
 * ```
 */
export type TokenEvent =
	/** A login. `reused`: reuse mode handed back the live token of the subject + device. */
	| (TokenEventBase & { type: "issued"; reused: boolean })
	/** A rotation (or, in reuse mode, nothing is emitted per exchange). `generation`: rotations so far. */
	| (TokenEventBase & { type: "refreshed"; generation: number })
	/** A concurrent exchange inside the grace window received the same successor. */
	| (TokenEventBase & { type: "grace-replayed"; generation: number })
	/** A retired token was presented outside the grace window; `action` is what followed. */
	| (TokenEventBase & { type: "reuse-detected"; action: ReuseAction })
	| (TokenEventBase & { type: "revoked"; reason: RevocationReason })
	/** An exchange presented the token of a session past its idle or absolute expiry. */
	| (TokenEventBase & { type: "expired" });

/** The `type` of a {@link TokenEvent}. */
export type TokenEventType = TokenEvent["type"];
