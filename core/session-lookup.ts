// Reading sessions: one session by id (`getSession`), and the shape every reading verb answers
// with (`SessionInfo`: no hashes, no seals, no claims).
import type { ServiceContext } from "./context.js";
import { TokenError } from "./errors.js";
import type { SessionRecord } from "./port.js";
import { isLiveAt, isSessionId } from "./session.js";
import type { GetSessionOptions, SessionInfo } from "./types.js";
import { validateSubject } from "./validate.js";

/**
 * `getSession(id, { subject? })`: the session if it is live (and, with `subject`, of that
 * subject), else null. One `findSession` call whatever the answer, so someone else's session, an
 * unknown id and an ended session cannot be told apart by timing either; an id that is not a
 * session id cannot name a session and needs no call. Argument errors are those of `revokeSession`.
 */
export async function getSessionById(context: ServiceContext, sessionId: string, options: GetSessionOptions = {}): Promise<SessionInfo | null> {
	if (typeof sessionId !== "string" || sessionId.length === 0) throw new TokenError("ERR_INPUT_INVALID", "sessionId must be a non-empty string");
	const subject = subjectOption("getSession", options);
	if (!isSessionId(sessionId)) return null;
	const session = await findLiveSession(context, sessionId.toLowerCase(), subject);
	return session === null ? null : toSessionInfo(session);
}

/** The `{ subject? }` options of `getSession` and `revokeSession`, checked: the subject, or undefined. */
export function subjectOption(verb: "getSession" | "revokeSession", options: GetSessionOptions): string | undefined {
	if (typeof options !== "object" || options === null) throw new TokenError("ERR_INPUT_INVALID", `${verb}: options must be { subject? }`);
	const { subject } = options;
	if (subject !== undefined) validateSubject(subject);
	return subject;
}

/** The session of a (lower-case) id if it is live and, with `subject`, that subject's: one `findSession` call. */
export async function findLiveSession(context: ServiceContext, id: string, subject: string | undefined): Promise<SessionRecord | null> {
	const session = await context.storeCall("findSession", () => context.store.findSession(id));
	if (session === null || (subject !== undefined && session.subject !== subject) || !isLiveAt(session, context.now())) return null;
	return session;
}

/** What a caller may see of a session. */
export function toSessionInfo(session: SessionRecord): SessionInfo {
	return { id: session.id, device: session.device, createdAt: session.createdAt, lastUsedAt: session.lastUsedAt, expiresAt: session.expiresAt };
}
