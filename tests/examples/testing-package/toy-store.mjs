// A naive TokenStore written the way a third party might, in plain JavaScript, with flaws that
// can be switched on one by one. Without flaws it passes refresh-kit's store contract; each flaw
// must make a named contract case fail. Used by tests/examples/testing-package.e2e.ts (copied
// into a project that installs only the packed tarball) and by tests/storage/contract-failures.test.ts.

/** @type {readonly import("./toy-store.d.mts").Flaw[]} */
export const FLAWS = [
	// SELECT, then UPDATE in a second round trip: concurrent calls all pass the check.
	"check-then-write rotation",
	"rotation ignores presentedHash",
	"rotation ignores expiry",
	"rotation ignores absoluteExpiresAt",
	// "Clean up idle sessions": deletes by lastUsedAt, so live ones go too.
	"prune deletes idle live sessions",
	"listSessions ignores limit",
];

/** @param {import("./toy-store.d.mts").ToyStoreOptions} [options] */
export function toyStore(options = {}) {
	const flaws = new Set(options.flaws ?? []);
	const rows = new Map();

	const copy = (row) => structuredClone(row);
	const unexpired = (row, now) => row.expiresAt === null || row.expiresAt.getTime() > now.getTime();
	const live = (row, now) => row.revokedAt === null && unexpired(row, now);
	const earlier = (a, b) => (a === null ? b : b === null ? a : a.getTime() <= b.getTime() ? a : b);
	const equalBytes = (a, b) => a.length === b.length && a.every((byte, i) => byte === b[i]);
	const ofSubject = (subject) => [...rows.values()].filter((row) => row.subject === subject);

	return {
		guarantees: { atomicRotation: true },

		async createSession(session) {
			if (rows.has(session.id)) throw new Error("toy store: duplicate id");
			rows.set(session.id, copy(session));
		},

		async openReusableSession(session) {
			const existing = ofSubject(session.subject).find((row) => row.mode === "reuse" && row.device === session.device && live(row, session.createdAt));
			if (existing !== undefined) return copy(existing);
			rows.set(session.id, copy(session));
			return copy(session);
		},

		async rotateToken(rotation) {
			const row = rows.get(rotation.sessionId);
			if (row === undefined) return { rotated: false, session: null };
			const usable = flaws.has("rotation ignores expiry") ? row.revokedAt === null : live(row, rotation.now);
			const current = flaws.has("rotation ignores presentedHash") || equalBytes(row.tokenHash, rotation.presentedHash);
			if (!usable || !current) return { rotated: false, session: copy(row) };
			if (flaws.has("check-then-write rotation")) await new Promise((resolve) => setTimeout(resolve, 1));
			row.previousHash = row.tokenHash;
			row.tokenHash = rotation.successorHash;
			row.sealedSuccessor = rotation.sealedSuccessor;
			row.rotatedAt = rotation.now;
			row.lastUsedAt = rotation.now;
			row.expiresAt = flaws.has("rotation ignores absoluteExpiresAt") ? rotation.idleExpiresAt : earlier(rotation.idleExpiresAt, row.absoluteExpiresAt);
			row.generation++;
			return { rotated: true, session: copy(row) };
		},

		async findSession(sessionId) {
			const row = rows.get(sessionId);
			return row === undefined ? null : copy(row);
		},

		async touchSession(touch) {
			const row = rows.get(touch.sessionId);
			if (row === undefined || !live(row, touch.now)) return;
			row.lastUsedAt = touch.now;
			row.expiresAt = earlier(touch.idleExpiresAt, row.absoluteExpiresAt);
		},

		async revokeSession(sessionId, now) {
			const row = rows.get(sessionId);
			if (row === undefined || row.revokedAt !== null) return null;
			row.revokedAt = now;
			return copy(row);
		},

		async revokeSubject(subject, now) {
			const revoked = ofSubject(subject).filter((row) => live(row, now));
			for (const row of revoked) row.revokedAt = now;
			return revoked.map((row) => row.id);
		},

		async listSessions(subject, now, limit) {
			const listed = ofSubject(subject)
				.filter((row) => live(row, now))
				.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
			return (flaws.has("listSessions ignores limit") ? listed : listed.slice(0, limit)).map(copy);
		},

		async prune(batch) {
			const due = (row) =>
				flaws.has("prune deletes idle live sessions")
					? row.lastUsedAt.getTime() <= batch.before.getTime()
					: (row.revokedAt !== null && row.revokedAt.getTime() <= batch.before.getTime()) || (row.expiresAt !== null && !unexpired(row, batch.before));
			const doomed = [...rows.values()].filter(due).slice(0, batch.limit);
			for (const row of doomed) rows.delete(row.id);
			return doomed.length;
		},
	};
}
