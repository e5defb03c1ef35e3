// Facts about a session record that the service and every store must agree on: liveness,
// expiry arithmetic and the shape of a session id. One home, so a store cannot drift from
// the service on what "live" means.
import type { SessionRecord } from "./port.js";

/** A session id as the service issues it: a UUID, in any letter case. */
export const SESSION_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` has the shape of a session id; anything else can never name a session. */
export function isSessionId(value: unknown): value is string {
	return typeof value === "string" && SESSION_ID_PATTERN.test(value);
}

/** Not expired at `at` (revocation is not looked at). */
export function isUnexpiredAt(session: Pick<SessionRecord, "expiresAt">, at: Date): boolean {
	return session.expiresAt === null || session.expiresAt.getTime() > at.getTime();
}

/** Neither revoked nor expired at `at`: the session's current token may be exchanged. */
export function isLiveAt(session: Pick<SessionRecord, "expiresAt" | "revokedAt">, at: Date): boolean {
	return session.revokedAt === null && isUnexpiredAt(session, at);
}

/** `date` moved by a number of seconds. */
export function plusSeconds(date: Date, seconds: number): Date {
	return new Date(date.getTime() + seconds * 1000);
}

/** The sooner of two instants; null means never. How an idle expiry is capped by the absolute one. */
export function sooner(a: Date | null, b: Date | null): Date | null {
	if (a === null) return b;
	if (b === null) return a;
	return b.getTime() < a.getTime() ? b : a;
}
