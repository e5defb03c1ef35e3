/** The lifecycle events passed to `onEvent`. None carries token material. */
export type TokenEventType = "issued" | "refreshed" | "grace-replayed" | "reuse-detected" | "revoked" | "expired";

/** Why a session was revoked. */
export type RevocationReason = "logout" | "admin" | "subject" | "reuse";

export interface TokenEvent {
	type: TokenEventType;
	subject: string;
	sessionId: string;
	/** From the service's clock. */
	at: Date;
	/** `issued` in reuse mode: true when the live token of the subject+device was handed back. */
	reused?: boolean;
	/** `revoked`: why. */
	reason?: RevocationReason;
	/** `reuse-detected`: the configured response (`refresh.onReuse`). */
	action?: "revoke-session" | "revoke-subject" | "report-only";
	/** `refreshed` / `grace-replayed`: the session's rotation count after the event. */
	generation?: number;
}
