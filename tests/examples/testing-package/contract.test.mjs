// A third-party store's contract test, as its author would write it: it imports only the
// installed refresh-kit package and runs under node:test (`node --test`).
import { test } from "node:test";
import { memoryStore } from "refresh-kit/storage/memory";
import { testTokenStore } from "refresh-kit/testing";
// biome-ignore lint/correctness/useImportExtensions: the module is an .mjs file; its name already has its extension.
import { toyStore } from "./toy-store.mjs";

// The toy store's rotateToken checks the presented hash, awaits (a second round trip to its
// "database"), then writes: concurrent exchanges of one token can all pass the check.
testTokenStore("toy store", () => toyStore({ flaws: ["check-then-write rotation"] }), { test });

// The reference store passes, each case its own test...
testTokenStore("memoryStore", () => memoryStore(), { test });
// ...and the whole contract as one promise inside a single test.
test("memoryStore, the whole contract in one test", () => testTokenStore("memoryStore", () => memoryStore()));
