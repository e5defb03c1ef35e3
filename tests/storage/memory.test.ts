// The storage contract against the in-memory reference store.
import { memoryStore } from "../../storage/memory/index.js";
import type { TokenStore } from "../../core/port.js";
import { storeContract } from "./contract.js";

// memoryStore() has no "truncate", so reset() swaps in a fresh one behind a stable facade.
let current: TokenStore = memoryStore();
const facade: TokenStore = {
	get guarantees() {
		return current.guarantees;
	},
	createSession: (session) => current.createSession(session),
	openReusableSession: (session) => current.openReusableSession(session),
	rotateToken: (rotation) => current.rotateToken(rotation),
	findSession: (sessionId) => current.findSession(sessionId),
	touchSession: (touch) => current.touchSession(touch),
	revokeSession: (sessionId, now) => current.revokeSession(sessionId, now),
	revokeSubject: (subject, now) => current.revokeSubject(subject, now),
	listSessions: (subject, now, limit) => current.listSessions(subject, now, limit),
	prune: (batch) => current.prune(batch),
};

storeContract("storage contract: memoryStore", {
	async open() {
		return facade;
	},
	async reset() {
		current = memoryStore();
	},
	async close() {},
});
