// Types of toy-store.mjs, for the TypeScript tests that import it.
import type { TokenStore } from "../../../core/port.js";

export type Flaw = "check-then-write rotation" | "rotation ignores presentedHash" | "rotation ignores expiry" | "rotation ignores absoluteExpiresAt" | "prune deletes idle live sessions" | "listSessions ignores limit";

export interface ToyStoreOptions {
	flaws?: readonly Flaw[];
}

export declare const FLAWS: readonly Flaw[];

export declare function toyStore(options?: ToyStoreOptions): TokenStore;
