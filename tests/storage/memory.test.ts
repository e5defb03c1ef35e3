// The storage contract (refresh-kit/testing, from its source) and the service over the
// in-memory reference store.
import { suite } from "uvu";
import type { TokenStore } from "../../core/port.js";
import { memoryStore } from "../../storage/memory/index.js";
import { testTokenStore } from "../../testing/index.js";
import { storeSuites } from "./service-cases.js";

// memoryStore() has no "truncate": reset() swaps in a fresh one, which `store` then returns.
let current: TokenStore = memoryStore();
storeSuites("memoryStore", () => ({
	get store(): TokenStore {
		return current;
	},
	reset(): void {
		current = memoryStore();
	},
}));

// The whole contract as one promise, on one store shared by every case (no reset), as a third
// party without a way to empty its store runs it: the prune cases then check bounds.
const shared = suite("storage contract: memoryStore, shared store, one promise");
shared("every case passes on a store that is never emptied", () => testTokenStore("memoryStore (shared)", () => memoryStore()));
shared.run();
