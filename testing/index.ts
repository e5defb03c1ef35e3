/**
 * `refresh-kit/testing`: the storage contract, for anyone who writes a {@link TokenStore}.
 *
 * `testTokenStore(name, open, options?)` runs every case the memory and Drizzle stores pass:
 * the semantics of each verb of the port (`core/port.ts`), their boundaries to the
 * millisecond, and the races (by default 250 parallel `rotateToken` calls presenting one hash
 * must rotate exactly once). A store that passes it can be handed to `createTokenService`. It
 * uses only the port and `node:assert` (Node, Bun, Deno and vitest all provide it), so it runs
 * under node:test, uvu, vitest or no runner at all: either as one promise that rejects with an
 * `AggregateError` naming every failed case, or with each case registered as its own test.
 *
 * @example node:test, each case its own test (`node --test`)
 * ```ts
 * import { after, test } from "node:test";
 * import { testTokenStore } from "refresh-kit/testing";
 *
 * const db = await connect();
 * after(() => db.close());
 * // reset() (optional) empties the store before every case, so prune counts are checked exactly.
 * testTokenStore("my store", () => ({ store: myStore(db), reset: () => db.truncate() }), { test });
 * ```
 *
 * @example vitest (one test for the whole contract, or one per case)
 * ```ts
 * import { it } from "vitest";
 * import { testTokenStore } from "refresh-kit/testing";
 *
 * it("passes the refresh-kit store contract", () => testTokenStore("my store", () => myStore()), 60_000);
 * testTokenStore("my store", () => myStore(), { test: (name, run) => it(name, run, 30_000) });
 * ```
 *
 * @example uvu
 * ```ts
 * import { suite } from "uvu";
 * import { testTokenStore } from "refresh-kit/testing";
 *
 * const test = suite("my store");
 * testTokenStore("my store", () => myStore(), { test });
 * test.run();
 * ```
 *
 * @module
 */
export { testTokenStore } from "./run.js";
export type { OpenTokenStore, RegisterTest, StoreFixture, TestTokenStoreOptions } from "./types.js";
