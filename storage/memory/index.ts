/**
 * The in-memory reference store: a Map per process. Atomic because every method runs to
 * completion within one turn of the event loop. Use it for tests, demos and single-process
 * apps that accept losing sessions on restart.
 *
 * @example
 * ```ts
 * import { createTokenService } from "refresh-kit";
 * import { memoryStore } from "refresh-kit/storage/memory";
 *
 * const service = createTokenService({ store: memoryStore(), keys: { secret }, issuer, audience });
 * ```
 * @module
 */
import { constantTimeEqual } from "../../core/crypto.js";
import type { PruneBatch, RotationResult, SessionRecord, SessionTouch, TokenRotation, TokenStore } from "../../core/port.js";
import { isLiveAt, sooner } from "../../core/session.js";

/** Creates an empty in-memory {@link TokenStore}. */
export function memoryStore(): TokenStore {
	const sessions = new Map<string, SessionRecord>();
	const bySubject = new Map<string, Set<string>>();

	function insert(session: SessionRecord): void {
		if (sessions.has(session.id)) throw new Error("memoryStore: duplicate session id");
		sessions.set(session.id, { ...session });
		let ids = bySubject.get(session.subject);
		if (ids === undefined) {
			ids = new Set();
			bySubject.set(session.subject, ids);
		}
		ids.add(session.id);
	}

	function sessionsOf(subject: string): SessionRecord[] {
		const out: SessionRecord[] = [];
		for (const id of bySubject.get(subject) ?? []) {
			const session = sessions.get(id);
			if (session !== undefined) out.push(session);
		}
		return out;
	}

	return {
		guarantees: { atomicRotation: true },

		async createSession(session: SessionRecord): Promise<void> {
			insert(session);
		},

		async openReusableSession(session: SessionRecord): Promise<SessionRecord> {
			for (const existing of sessionsOf(session.subject)) {
				if (existing.mode === "reuse" && existing.device === session.device && isLiveAt(existing, session.createdAt)) {
					return { ...existing };
				}
			}
			insert(session);
			return { ...session };
		},

		async rotateToken(rotation: TokenRotation): Promise<RotationResult> {
			const session = sessions.get(rotation.sessionId);
			if (session === undefined) return { rotated: false, session: null };
			if (!isLiveAt(session, rotation.now) || !constantTimeEqual(session.tokenHash, rotation.presentedHash)) {
				return { rotated: false, session: { ...session } };
			}
			session.previousHash = session.tokenHash;
			session.tokenHash = rotation.successorHash;
			session.sealedSuccessor = rotation.sealedSuccessor;
			session.rotatedAt = rotation.now;
			session.lastUsedAt = rotation.now;
			session.expiresAt = sooner(rotation.idleExpiresAt, session.absoluteExpiresAt);
			session.generation += 1;
			return { rotated: true, session: { ...session } };
		},

		async findSession(sessionId: string): Promise<SessionRecord | null> {
			const session = sessions.get(sessionId);
			return session === undefined ? null : { ...session };
		},

		async touchSession(touch: SessionTouch): Promise<void> {
			const session = sessions.get(touch.sessionId);
			if (session === undefined || !isLiveAt(session, touch.now)) return;
			session.lastUsedAt = touch.now;
			session.expiresAt = sooner(touch.idleExpiresAt, session.absoluteExpiresAt);
		},

		async revokeSession(sessionId: string, now: Date): Promise<SessionRecord | null> {
			const session = sessions.get(sessionId);
			if (session === undefined || session.revokedAt !== null) return null;
			session.revokedAt = now;
			return { ...session };
		},

		async revokeSubject(subject: string, now: Date): Promise<string[]> {
			const revoked: string[] = [];
			for (const session of sessionsOf(subject)) {
				if (!isLiveAt(session, now)) continue;
				session.revokedAt = now;
				revoked.push(session.id);
			}
			return revoked;
		},

		async listSessions(subject: string, now: Date, limit: number): Promise<SessionRecord[]> {
			return sessionsOf(subject)
				.filter((session) => isLiveAt(session, now))
				.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
				.slice(0, limit)
				.map((session) => ({ ...session }));
		},

		async prune(batch: PruneBatch): Promise<number> {
			let deleted = 0;
			for (const session of sessions.values()) {
				if (deleted >= batch.limit) break;
				const dead = (session.revokedAt !== null && session.revokedAt <= batch.before) || (session.expiresAt !== null && session.expiresAt <= batch.before);
				if (!dead) continue;
				sessions.delete(session.id);
				const ids = bySubject.get(session.subject);
				ids?.delete(session.id);
				if (ids?.size === 0) bySubject.delete(session.subject);
				deleted++;
			}
			return deleted;
		},
	};
}
