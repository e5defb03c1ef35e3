#!/usr/bin/env node
// The mutation check: each mutation below breaks one defence on purpose (the invariants of
// docs/architecture.md, the adapters' defences), runs the suites that should notice, records
// which tests went red, and puts the file back. A mutation that leaves every test green
// ("survived") is a defence no test guards. Not run by CI: a full pass takes 15-25 minutes on
// the 2-core machines.
//
//   node scripts/mutations.mjs                    # every mutation, a Markdown table at the end
//   node scripts/mutations.mjs --list             # the mutations, without running anything
//   node scripts/mutations.mjs --check            # only check that every edit still applies (CI runs this)
//   node scripts/mutations.mjs --only inv5-issue-cap,http-origin-open
//   node scripts/mutations.mjs --out mutations.md # the table into a file as well
//
// Each edit replaces text that must occur exactly once in its file (else the script stops before
// changing anything: the code moved, update the list). Files with uncommitted changes are refused,
// and every file is restored after its run, also on Ctrl-C. A suite is stopped after
// MUTATION_TIMEOUT_SECONDS (300) or past MUTATION_MAX_RSS_MB (3000) of memory; either counts as
// killed, with the reason in the table. MODEL_RUNS and the other knobs pass through.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

// What to run: a uvu folder (with a file pattern), or a command.
const CORE = { dir: "tests/core" };
const MODEL = { dir: "tests/model" };
const MEMORY = { dir: "tests/storage", pattern: "^memory\\.test\\.ts$" };
const PGLITE = { dir: "tests/storage", pattern: "^pglite\\.test\\.ts$" };
// The demo suite starts a server and waits for PGlite: only where the demo is what changed.
const ADAPTERS = { dir: "tests/adapters", pattern: "^(?!demo\\.)[\\w-]+\\.test\\.ts$" };
const FAULTS = { dir: "tests/reliability", pattern: "\\.test\\.ts$" };
const CORE_TYPES = { command: ["npx", "tsc", "--noEmit", "-p", "core/tsconfig.json"] };

/** @type {Array<{ id: string; guards: string; what: string; edits: Array<{ file: string; from: string; to: string }>; run: Array<{ dir?: string; pattern?: string; command?: string[] }> }>} */
const MUTATIONS = [
	// Invariant 1: at most one live refresh token per session.
	{
		id: "inv1-consume-any",
		guards: "invariant 1",
		what: "memory store: rotateToken consumes whatever hash is presented",
		edits: [{ file: "storage/memory/index.ts", from: "if (!isLiveAt(session, rotation.now) || !constantTimeEqual(session.tokenHash, rotation.presentedHash)) {", to: "if (!isLiveAt(session, rotation.now)) {" }],
		run: [CORE, MODEL, MEMORY],
	},
	{
		id: "inv1-sql-consume-any",
		guards: "invariant 1",
		what: "Drizzle store: the rotate statement ignores token_hash",
		edits: [{ file: "storage/drizzle/statements.ts", from: "where id = $5 and token_hash = $6 and revoked_at is null", to: "where id = $5 and (token_hash = $6 or true) and revoked_at is null" }],
		run: [PGLITE],
	},
	// Invariant 2: grace window and reuse.
	{
		id: "inv2-grace-boundary",
		guards: "invariant 2, 6",
		what: "a replay exactly at reuseGrace still counts as inside the window",
		edits: [{ file: "core/verdict.ts", from: "at.getTime() - session.rotatedAt.getTime() < context.config.reuseGrace * 1000", to: "at.getTime() - session.rotatedAt.getTime() <= context.config.reuseGrace * 1000" }],
		run: [CORE, MODEL],
	},
	{
		id: "inv2-grace-forever",
		guards: "invariant 2",
		what: "the predecessor is accepted as a grace replay at any age",
		edits: [{ file: "core/verdict.ts", from: "at.getTime() - session.rotatedAt.getTime() < context.config.reuseGrace * 1000", to: "true" }],
		run: [CORE, MODEL],
	},
	{
		id: "inv2-no-revocation",
		guards: "invariant 2",
		what: "onReuse 'revoke-session' revokes nothing",
		edits: [{ file: "core/verdict.ts", from: 'if (config.onReuse === "revoke-session") {', to: 'if (config.onReuse === "revoke-session" && false) {' }],
		run: [CORE, MODEL],
	},
	{
		id: "inv2-subject-not-revoked",
		guards: "invariant 2",
		what: "onReuse 'revoke-subject' revokes nothing",
		edits: [{ file: "core/verdict.ts", from: '} else if (config.onReuse === "revoke-subject") {', to: '} else if (config.onReuse === "revoke-subject" && false) {' }],
		run: [CORE, MODEL],
	},
	{
		id: "inv2-revoked-twice",
		guards: "invariant 2 (once)",
		what: "memory store: revokeSession reports an already revoked session again",
		edits: [{ file: "storage/memory/index.ts", from: "if (session === undefined || session.revokedAt !== null) return null;", to: "if (session === undefined) return null;" }],
		run: [CORE, MODEL, MEMORY],
	},
	{
		id: "inv2-seal-never-opens",
		guards: "invariant 2, 3",
		what: "the sealed successor can never be opened (grace replays lose the successor)",
		edits: [{ file: "core/refresh-token.ts", from: "if (sealed.length !== SEALED_SUCCESSOR_BYTES) return null;", to: "return null;" }],
		run: [CORE, MODEL],
	},
	// Invariant 3: store failures change nothing; a lost answer is healed inside grace.
	{
		id: "inv3-raw-store-error",
		guards: "invariant 3",
		what: "a failing store call surfaces as the store's own error, not ERR_STORE_UNAVAILABLE",
		edits: [
			{
				file: "core/store-call.ts",
				from: 'reject(cause instanceof TokenError && cause.code === "ERR_STORE_UNAVAILABLE" ? cause : new TokenError("ERR_STORE_UNAVAILABLE", `token store failed during ${verb}`, { cause }));',
				to: "reject(cause);",
			},
		],
		run: [CORE, MODEL, FAULTS, ADAPTERS],
	},
	{
		id: "inv3-no-timeout",
		guards: "invariant 3",
		what: "storeTimeout is 1000 times longer than configured",
		edits: [{ file: "core/store-call.ts", from: "), timeoutMs);", to: "), timeoutMs * 1000);" }],
		run: [CORE, MODEL, FAULTS],
	},
	{
		id: "inv3-seal-not-keyed-by-presented",
		guards: "invariant 3 (lost answer healed)",
		what: "the successor is sealed under a random secret instead of the presented one",
		edits: [{ file: "core/rotation.ts", from: "sealedSuccessor: sealSuccessor(key, successor.secret, parts.secret, successorHash),", to: "sealedSuccessor: sealSuccessor(key, successor.secret, newSecret(), successorHash)," }],
		run: [CORE, MODEL],
	},
	{
		id: "inv3-store-before-sign",
		guards: "invariant 3",
		what: "issue stores the session before signing its access token",
		edits: [
			{
				file: "core/service.ts",
				from: '\tconst tokens = await context.tokenSet(session, parts, at);\n\tawait context.storeCall("createSession", () => context.store.createSession(session));',
				to: '\tawait context.storeCall("createSession", () => context.store.createSession(session));\n\tconst tokens = await context.tokenSet(session, parts, at);',
			},
		],
		run: [CORE],
	},
	// Invariant 4: only hashes or sealed values at rest, in logs and events; verifiers cannot mint.
	{
		id: "inv4-raw-secret-stored",
		guards: "invariant 4",
		what: "issue stores the token's secret as its tokenHash",
		edits: [{ file: "core/context.ts", from: "tokenHash: hashToken(keyOf(parts), parts.familyProof, parts.secret),", to: "tokenHash: parts.secret," }],
		run: [CORE, MODEL],
	},
	{
		id: "inv4-unkeyed-hash",
		guards: "invariant 4",
		what: "tokenHash is a plain SHA-256 (a database reader can test guesses offline)",
		edits: [{ file: "core/refresh-token.ts", from: "return key === null ? sha256(message) : mac(key.hashMac, message);", to: "return sha256(message);" }],
		run: [CORE, MODEL],
	},
	{
		id: "inv4-hash-key-is-secret",
		guards: "invariant 4",
		what: "the hash key is refresh.secret itself, not a key derived for that one purpose",
		edits: [{ file: "core/refresh-keys.ts", from: 'const hashKey = hmacSha256(secret, utf8("refresh-kit/v2 token hash key"));', to: "const hashKey = secret;" }],
		run: [CORE],
	},
	{
		id: "inv4-seal-in-clear",
		guards: "invariant 4",
		what: "the successor secret is stored in the clear (sealed and opened without the pad)",
		edits: [
			{ file: "core/refresh-token.ts", from: "return concatBytes(keyIdBytes(key.id), xorBytes(successorSecret, sealPad(key, presentedSecret, successorHash)));", to: "return concatBytes(keyIdBytes(key.id), successorSecret);" },
			{ file: "core/refresh-token.ts", from: "const secret = xorBytes(sealed.subarray(KEY_ID_BYTES), sealPad(key, presented.secret, successorHash));", to: "const secret = sealed.slice(KEY_ID_BYTES);" },
		],
		run: [CORE, MODEL],
	},
	{
		id: "inv4-seal-without-presented-secret",
		guards: "invariant 4",
		what: "the seal's pad does not depend on the consumed token's secret (the server key alone opens it)",
		edits: [{ file: "core/refresh-token.ts", from: "return mac(key.sealMac, concatBytes(SEAL_LABEL, presentedSecret, successorHash));", to: "return mac(key.sealMac, concatBytes(SEAL_LABEL, successorHash));" }],
		run: [CORE, MODEL],
	},
	{
		id: "inv4-event-carries-secret",
		guards: "invariant 4",
		what: "the 'refreshed' event carries the successor's secret (as decimal bytes)",
		edits: [
			{
				file: "core/rotation.ts",
				from: 'context.emit({ type: "refreshed", generation: result.session.generation }, result.session, at);',
				to: 'context.emit({ type: "refreshed", generation: result.session.generation, detail: String(successor.secret) } as never, result.session, at);',
			},
		],
		run: [CORE, MODEL],
	},
	{
		id: "inv4-refresh-secret-may-be-signing-key",
		guards: "invariant 4 (verifiers cannot mint)",
		what: "refresh.secret may equal the HS256 signing secret every verifier holds",
		edits: [{ file: "core/refresh-keys.ts", from: "if (signingSecrets.some((signing) => sameSecret(signing, secret))) {", to: "if (false) {" }],
		run: [CORE],
	},
	{
		id: "inv4-kid-reveals-secret",
		guards: "invariant 4 (derived identifiers)",
		what: "the HS256 kid is the signing secret in hex",
		edits: [{ file: "core/keys.ts", from: 'encodeBase64urlNoPadding(hmacSha256(secret, utf8("refresh-kit/v1 kid"))).slice(0, 16)', to: 'Array.from(secret, (byte) => byte.toString(16).padStart(2, "0")).join("")' }],
		run: [CORE],
	},
	{
		id: "inv4-key-id-reveals-secret",
		guards: "invariant 4 (derived identifiers)",
		what: "the refresh key id in every token is the first 4 bytes of refresh.secret",
		edits: [{ file: "core/refresh-keys.ts", from: 'const id = hmacSha256(secret, utf8("refresh-kit/v2 key id"));', to: "const id = secret;" }],
		run: [CORE],
	},
	// Invariant 5: never past absoluteTtl.
	{
		id: "inv5-issue-cap",
		guards: "invariant 5",
		what: "issue does not cap the first expiry at absoluteTtl when there is an idle one",
		edits: [{ file: "core/context.ts", from: "expiresAt: sooner(idleExpiry(at), absoluteExpiresAt),", to: "expiresAt: idleExpiry(at) ?? absoluteExpiresAt," }],
		run: [CORE, MODEL],
	},
	{
		id: "inv5-rotate-cap-memory",
		guards: "invariant 5",
		what: "memory store: a rotation slides the expiry past absoluteExpiresAt",
		edits: [{ file: "storage/memory/index.ts", from: "session.expiresAt = sooner(rotation.idleExpiresAt, session.absoluteExpiresAt);", to: "session.expiresAt = rotation.idleExpiresAt;" }],
		run: [CORE, MODEL, MEMORY],
	},
	{
		id: "inv5-rotate-cap-sql",
		guards: "invariant 5",
		what: "Drizzle store: the rotate statement slides the expiry past absolute_expires_at",
		edits: [{ file: "storage/drizzle/statements.ts", from: "expires_at = least($4::timestamptz, absolute_expires_at), prune_after", to: "expires_at = $4::timestamptz, prune_after" }],
		run: [PGLITE],
	},
	{
		id: "inv5-touch-cap-memory",
		guards: "invariant 5",
		what: "memory store: touchSession (reuse mode) slides the expiry past absoluteExpiresAt",
		edits: [{ file: "storage/memory/index.ts", from: "session.expiresAt = sooner(touch.idleExpiresAt, session.absoluteExpiresAt);", to: "session.expiresAt = touch.idleExpiresAt;" }],
		run: [CORE, MODEL, MEMORY],
	},
	{
		id: "inv5-touch-cap-sql",
		guards: "invariant 5",
		what: "Drizzle store: the touch statement slides the expiry past absolute_expires_at",
		edits: [{ file: "storage/drizzle/statements.ts", from: 'expiresAt: sql`least(${ts("idleExpiresAt")}, ${sessions.absoluteExpiresAt})`,', to: 'expiresAt: ts("idleExpiresAt"),' }],
		run: [PGLITE],
	},
	{
		id: "inv5-reuse-slide-cap",
		guards: "invariant 5",
		what: "reuse mode: the service's view of a slid session ignores absoluteExpiresAt",
		edits: [{ file: "core/reuse-mode.ts", from: "return { ...session, lastUsedAt: at, expiresAt: sooner(idleExpiresAt, session.absoluteExpiresAt) };", to: "return { ...session, lastUsedAt: at, expiresAt: idleExpiresAt };" }],
		run: [CORE, MODEL],
	},
	{
		id: "inv5-access-outlives-session",
		guards: "invariant 5",
		what: "the access token's exp is not capped by the session's expiry",
		edits: [{ file: "core/context.ts", from: "if (session.expiresAt !== null) expiresAt =", to: "if (false) expiresAt =" }],
		run: [CORE, MODEL],
	},
	// Invariant 6: time only from the injected clock, every boundary to the second.
	{
		id: "inv6-wall-clock",
		guards: "invariant 6",
		what: "the service reads the wall clock instead of the injected one",
		edits: [{ file: "core/context.ts", from: "const date = clock.now();", to: "const date = new Date();" }],
		run: [CORE],
	},
	{
		id: "inv6-verify-wall-clock",
		guards: "invariant 6",
		what: "access-token verification reads the wall clock",
		edits: [{ file: "core/access-token.ts", from: "return settings.now();", to: "return new Date();" }],
		run: [CORE],
	},
	{
		id: "inv6-expiry-boundary",
		guards: "invariant 6",
		what: "a session is still live at the instant of its expiry",
		edits: [{ file: "core/session.ts", from: "session.expiresAt.getTime() > at.getTime()", to: "session.expiresAt.getTime() >= at.getTime()" }],
		run: [CORE, MODEL],
	},
	{
		id: "inv6-idle-off-by-one",
		guards: "invariant 6",
		what: "the idle expiry is one second late",
		edits: [{ file: "core/context.ts", from: "plusSeconds(at, config.idleTtl)", to: "plusSeconds(at, config.idleTtl + 1)" }],
		run: [CORE, MODEL],
	},
	{
		id: "inv6-tolerance-off-by-one",
		guards: "invariant 6",
		what: "access tokens are accepted one second past exp + clockTolerance",
		edits: [{ file: "core/access-token.ts", from: "clockTolerance: settings.clockTolerance,", to: "clockTolerance: settings.clockTolerance + 1," }],
		run: [CORE],
	},
	// Invariant 7: the core compiles without Node types.
	{
		id: "inv7-node-in-core",
		guards: "invariant 7",
		what: "core/crypto.ts uses Buffer",
		edits: [{ file: "core/crypto.ts", from: "return encoder.encode(text);", to: "return Buffer.from(text);" }],
		run: [CORE_TYPES],
	},
	{
		id: "inv7-node-types-reach-core",
		guards: "invariant 7",
		what: "the no-Node-types compilation includes a file whose dependencies reference @types/node",
		edits: [{ file: "core/tsconfig.json", from: '"../client/*.ts"]', to: '"../client/*.ts", "../adapters/feathers/client/*.ts"]' }],
		run: [{ dir: "tests/docs", pattern: "^no-node-types\\.test\\.ts$" }],
	},
	// Invariant 8: reuse detection survives pruning.
	{
		id: "inv8-prune-live-memory",
		guards: "invariant 8",
		what: "memory store: prune also deletes live sessions that have rotated",
		edits: [
			{ file: "storage/memory/index.ts", from: "(session.expiresAt !== null && session.expiresAt <= batch.before);", to: "(session.expiresAt !== null && session.expiresAt <= batch.before) || session.previousHash !== null;" },
		],
		run: [MODEL, MEMORY],
	},
	{
		id: "inv8-prune-deferred-sql",
		guards: "invariant 8",
		what: "Drizzle store: prune deletes every candidate, also one whose expiry slid past prune_after",
		edits: [{ file: "storage/drizzle/statements.ts", from: "select id, least(revoked_at, expires_at) <= $1::timestamptz as dead from", to: "select id, true as dead from" }],
		run: [PGLITE],
	},
	// The adapters' defences.
	{
		id: "http-origin-open",
		guards: "Origin check",
		what: "cookie mode accepts every request, whatever its Origin",
		edits: [{ file: "adapters/fetch/origin.ts", from: '\tconst origin = headers.get("origin");\n', to: '\tconst origin = headers.get("origin");\n\treturn true;\n' }],
		run: [ADAPTERS],
	},
	{
		id: "http-origin-absent-ok",
		guards: "Origin check (fails closed)",
		what: "a request without Origin and without Sec-Fetch-Site: same-origin is accepted",
		edits: [{ file: "adapters/fetch/origin.ts", from: 'return headers.get("sec-fetch-site") === "same-origin";', to: 'return headers.get("sec-fetch-site") !== "cross-site";' }],
		run: [ADAPTERS],
	},
	{
		id: "http-origin-list-ignored",
		guards: "Origin check",
		what: "with allowedOrigins set, any Origin passes",
		edits: [
			{
				file: "adapters/fetch/origin.ts",
				from: "return allowedOrigins === null ? ownOrigin !== null && origin === ownOrigin : allowedOrigins.has(origin);",
				to: "return allowedOrigins === null ? ownOrigin !== null && origin === ownOrigin : true;",
			},
		],
		run: [ADAPTERS],
	},
	{
		id: "http-duplicate-params",
		guards: "duplicate parameters",
		what: "a repeated parameter is accepted (the last one wins)",
		edits: [{ file: "adapters/fetch/body.ts", from: '\t\tif (name in params) return { params: null, problem: "duplicate" };', to: "\t\t// (mutated: duplicates accepted)" }],
		run: [ADAPTERS],
	},
	{
		id: "http-declared-length",
		guards: "body limits",
		what: "a declared Content-Length over the limit is not refused up front",
		edits: [{ file: "adapters/fetch/body.ts", from: "return contentLength !== null && /^\\d+$/.test(contentLength.trim()) && Number(contentLength) > limit;", to: "return false;" }],
		run: [ADAPTERS],
	},
	{
		id: "http-read-limit-fetch",
		guards: "body limits",
		what: "the fetch hub's body reader has no limit",
		edits: [{ file: "adapters/fetch/body.ts", from: "if (total > limit) {", to: "if (false) {" }],
		run: [ADAPTERS],
	},
	{
		id: "http-read-limit-node",
		guards: "body limits",
		what: "the Node adapter's body reader has no limit",
		edits: [
			{ file: "adapters/node/request.ts", from: "if (total <= limit) return void chunks.push(chunk);", to: "return void chunks.push(chunk);" },
			{ file: "adapters/node/request.ts", from: "return Promise.resolve(bytes.byteLength > limit ? null : bytes);", to: "return Promise.resolve(bytes);" },
		],
		run: [ADAPTERS],
	},
	{
		id: "http-client-input-500",
		guards: "no 500 for client input",
		what: "a malformed percent-encoding throws out of the form parser",
		edits: [{ file: "adapters/fetch/body.ts", from: "\tif (!PERCENT_OR_PLUS.test(text)) return text;\n", to: '\tif (!PERCENT_OR_PLUS.test(text)) return text;\n\treturn decodeURIComponent(text.replaceAll("+", " "));\n' }],
		run: [ADAPTERS],
	},
	{
		id: "cookie-httponly",
		guards: "cookie flags",
		what: "the cookies lose HttpOnly",
		edits: [{ file: "adapters/fetch/cookies.ts", from: "; HttpOnly; Secure; SameSite=Strict`", to: "; Secure; SameSite=Strict`" }],
		run: [ADAPTERS],
	},
	{
		id: "cookie-secure",
		guards: "cookie flags",
		what: "the cookies lose Secure",
		edits: [{ file: "adapters/fetch/cookies.ts", from: "; HttpOnly; Secure; SameSite=Strict`", to: "; HttpOnly; SameSite=Strict`" }],
		run: [ADAPTERS],
	},
	{
		id: "cookie-samesite",
		guards: "cookie flags",
		what: "the cookies are SameSite=Lax",
		edits: [{ file: "adapters/fetch/cookies.ts", from: "; HttpOnly; Secure; SameSite=Strict`", to: "; HttpOnly; Secure; SameSite=Lax`" }],
		run: [ADAPTERS],
	},
	{
		id: "cookie-path",
		guards: "cookie flags",
		what: "the refresh cookie is scoped to / instead of the base path",
		edits: [
			{
				file: "adapters/fetch/session-cookies.ts",
				from: "const refresh: CookieAttributes = { path: cookie.path === undefined ? defaultPath : cookiePath(cookie.path), domain: cookie.domain };",
				to: 'const refresh: CookieAttributes = { path: "/", domain: cookie.domain };',
			},
		],
		run: [ADAPTERS],
	},
	{
		id: "cookie-refresh-in-json",
		guards: "cookie mode",
		what: "cookie mode also returns the refresh token in the JSON body",
		edits: [
			{
				file: "adapters/fetch/hub.ts",
				from: "if (cookies === null) body.refresh_token = tokens.refreshToken;",
				to: "body.refresh_token = tokens.refreshToken;\n\t\tif (cookies === null) body.refresh_token = tokens.refreshToken;",
			},
		],
		run: [ADAPTERS],
	},
	{
		id: "cookie-loser-clears",
		guards: "cookie mode (race loser)",
		what: "a refused /token request clears the refresh cookie",
		edits: [
			{
				file: "adapters/fetch/hub.ts",
				from: "\t\t} catch (cause) {\n\t\t\treturn failFromException(route.name, cause);\n\t\t}",
				to: '\t\t} catch (cause) {\n\t\t\tconst failed = failFromException(route.name, cause);\n\t\t\tif (route.name === "token" && cookie !== undefined) failed.headers["set-cookie"] = [clearCookie(cookie.name, refreshCookie)];\n\t\t\treturn failed;\n\t\t}',
			},
		],
		run: [ADAPTERS],
	},
	{
		id: "http-onerror-carries-token",
		guards: "invariant 4 (logs)",
		what: "a failed exchange's error, forwarded to onError, carries the presented token as a property",
		edits: [
			{
				file: "adapters/fetch/hub.ts",
				from: "return tokenResponse(await service.exchange(refreshToken));",
				to: "return tokenResponse(await service.exchange(refreshToken).catch((error) => { throw Object.assign(error, { presented: refreshToken }); }));",
			},
		],
		run: [ADAPTERS],
	},
	{
		id: "store-reuse-login-round-trips",
		guards: "statement counts",
		what: "Drizzle store: a returning reuse-mode login skips the one-statement fast path",
		edits: [{ file: "storage/drizzle/store.ts", from: "\t\t\tif (live !== undefined) return builtRowRecord(live);", to: "\t\t\tvoid live;" }],
		run: [{ dir: "tests/storage", pattern: "^drizzle-secrets\\.test\\.ts$" }],
	},
	{
		id: "suite-setup-swallowed",
		guards: "setup failures",
		what: "guardedSuite lets a failed before() hook pass silently again",
		edits: [{ file: "tests/support/suite.ts", from: "if (failure !== null) throw new SuiteSetupError(name, failure.error);", to: "void failure;" }],
		run: [{ dir: "tests/support" }],
	},
	{
		id: "demo-healthz-always-ready",
		guards: "demo /healthz",
		what: "the demo's /healthz says ready before the store is open",
		edits: [
			{ file: "examples/node-server/server.ts", from: 'send(res, database.isReady() ? 200 : 503, JSON.stringify({ store: database.isReady() ? "ready" : "starting" }), ', to: 'send(res, 200, JSON.stringify({ store: "ready" }), ' },
		],
		run: [{ dir: "tests/adapters", pattern: "^demo\\.test\\.ts$" }],
	},
	// Issue 11: browser-facing hardening.
	{
		id: "http-csrf-cookie-open",
		guards: "cookie-authenticated API routes (CSRF)",
		what: "the access check lets a cross-origin unsafe request authenticated by the access cookie through",
		edits: [
			{
				file: "adapters/fetch/access.ts",
				from: 'if (from === "cookie" && request.method !== null && isUnsafeMethod(request.method) && !isAllowedOrigin(',
				to: 'if (false && from === "cookie" && request.method !== null && isUnsafeMethod(request.method) && !isAllowedOrigin(',
			},
		],
		run: [ADAPTERS],
	},
	{
		id: "http-cookie-first-wins",
		guards: "cookie shadowing",
		what: "readCookie takes the first of two cookies of one name",
		edits: [{ file: "adapters/fetch/cookies.ts", from: "return count === 1 ? value : null;", to: "return value;" }],
		run: [ADAPTERS],
	},
	{
		id: "verify-fast-path-any-signature",
		guards: "pinned algorithms, verify",
		what: "the HS256 fast path accepts a token whatever its signature",
		edits: [{ file: "core/own-hs256.ts", from: "if (presented === null || !constantTimeEqual(presented, mac(key, utf8(token.slice(0, payloadEnd))))) return null;", to: "if (presented === null) return null;" }],
		run: [CORE],
	},
	{
		id: "http-cookie-duplicate-access",
		guards: "cookie shadowing",
		what: "the access check takes the first of two access-token cookies",
		edits: [{ file: "adapters/fetch/access.ts", from: 'if (count > 1) return { token: null, from: null, problem: "duplicate-cookie" };', to: 'if (count > 99) return { token: null, from: null, problem: "duplicate-cookie" };' }],
		run: [ADAPTERS],
	},
	{
		id: "proxy-cookie-duplicate",
		guards: "cookie shadowing",
		what: "the Next.js proxy refreshes with the first of two refresh cookies",
		edits: [{ file: "adapters/next/proxy.ts", from: "if (refreshCookies > 1 || accessCookies > 1)", to: "if (refreshCookies > 99 || accessCookies > 99)" }],
		run: [ADAPTERS],
	},
	{
		id: "http-cookie-duplicate-hub",
		guards: "cookie shadowing",
		what: "the hub's auth routes do not refuse two refresh cookies",
		edits: [
			{
				file: "adapters/fetch/hub.ts",
				from: 'countCookies(request.headers.get("cookie"), cookie.name) > 1) {',
				to: 'countCookies(request.headers.get("cookie"), cookie.name) > 99) {',
			},
		],
		run: [ADAPTERS],
	},
	{
		id: "client-token-anywhere",
		guards: "the client's reach",
		what: "auth.fetch attaches the access token to every origin",
		edits: [{ file: "client/index.ts", from: "if (!origins.trusts(input)) return doFetch(input, init);", to: "void origins;" }],
		run: [{ dir: "tests/adapters", pattern: "^client.*\\.test\\.ts$" }],
	},
	{
		id: "verifier-jwks-http",
		guards: "createVerifier jwksUrl",
		what: "a plain http: jwksUrl is accepted for any host",
		edits: [{ file: "core/verifier.ts", from: 'if (url.protocol !== "http:") return false;', to: 'if (url.protocol === "http:") return true;' }],
		run: [CORE],
	},
	// Issue 14: sessions over HTTP.
	{
		id: "sessions-foreign-id",
		guards: "sessions routes: ownership",
		what: "revokeSession(id, { subject }) ignores whose session it is",
		edits: [{ file: "core/session-lookup.ts", from: "if (session === null || (subject !== undefined && session.subject !== subject) || !isLiveAt(", to: "if (session === null || !isLiveAt(" }],
		run: [CORE, { dir: "tests/adapters", pattern: "^sessions\\.test\\.ts$" }],
	},
	{
		id: "sessions-except-ignored",
		guards: "sign out everywhere but here",
		what: "revokeSubject(subject, { except }) revokes the kept session too",
		edits: [{ file: "core/revocation.ts", from: "if (keep !== undefined) return revokeAllBut(context, subject, keep);", to: "void revokeAllBut;" }],
		run: [CORE, { dir: "tests/adapters", pattern: "^sessions\\.test\\.ts$" }],
	},
	// Review of issues 10-17: cookie variants after a settings change, and bursts in the batcher.
	{
		id: "cookie-variants-kept",
		guards: "cookie settings change",
		what: "a token response sets the cookies without deleting their other variants (old path or domain)",
		edits: [{ file: "adapters/fetch/session-cookies.ts", from: "return [...staleLines, ...lines];", to: "return lines;" }],
		run: [{ dir: "tests/adapters", pattern: "^cookie-variants\\.test\\.ts$" }],
	},
	{
		id: "cookie-duplicate-keeps-stale",
		guards: "cookie settings change",
		what: "a refused duplicate deletes nothing, so a browser holding an old variant stays refused",
		edits: [{ file: "adapters/fetch/session-cookies.ts", from: "const lines = cookies?.stale() ?? [];", to: "const lines: string[] = [];" }],
		run: [{ dir: "tests/adapters", pattern: "^cookie-(variants|shadowing)\\.test\\.ts$" }],
	},
	{
		id: "cookie-duplicate-deletes-current",
		guards: "cookie shadowing",
		what: "a refused duplicate deletes the current cookies too (a planted twin would then be the only one)",
		edits: [{ file: "adapters/fetch/session-cookies.ts", from: "const lines = cookies?.stale() ?? [];", to: "const lines = cookies?.cleared() ?? [];" }],
		run: [{ dir: "tests/adapters", pattern: "^cookie-(variants|shadowing)\\.test\\.ts$" }],
	},
	{
		id: "batch-burst-serial",
		guards: "batched rotations",
		what: "every held rotation of a session waits for the one before it (a burst of N costs N statements)",
		edits: [{ file: "storage/drizzle/batch.ts", from: "if (current === undefined || constantTimeEqual(entry.rotation.presentedHash, current)) closed.add(entry.key);", to: "closed.add(entry.key);" }],
		run: [{ dir: "tests/storage", pattern: "^(batch|pglite)\\.test\\.ts$" }],
	},
	{
		id: "batch-order-lost",
		guards: "batched rotations, invariant 2",
		what: "rotations held after one that may rotate the session join its statement (they read the state before it)",
		edits: [{ file: "storage/drizzle/batch.ts", from: "if (current === undefined || constantTimeEqual(entry.rotation.presentedHash, current)) closed.add(entry.key);", to: "if (current === undefined) closed.add(entry.key);" }],
		run: [{ dir: "tests/storage", pattern: "^(batch|pglite)\\.test\\.ts$" }],
	},
	{
		id: "batch-hold-unbounded",
		guards: "batched rotations, reliability",
		what: "a statement that never answers holds its sessions and its slot for good (maxHoldMs ignored)",
		edits: [{ file: "storage/drizzle/batch.ts", from: "}, options.maxHoldMs);", to: "}, options.maxHoldMs * 1000);" }],
		run: [{ dir: "tests/storage", pattern: "^batch\\.test\\.ts$" }],
	},
];

function parseArgs(argv) {
	const args = { only: null, list: false, check: false, out: null };
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === "--list") args.list = true;
		else if (argv[i] === "--check") args.check = true;
		else if (argv[i] === "--only") args.only = new Set(String(argv[++i]).split(","));
		else if (argv[i] === "--out") args.out = argv[++i];
		else throw new Error(`unknown argument ${argv[i]} (see the header of scripts/mutations.mjs)`);
	}
	return args;
}

function read(file) {
	return readFileSync(join(ROOT, file), "utf8");
}

function isClean(file) {
	return spawnSync("git", ["diff", "--quiet", "HEAD", "--", file], { cwd: ROOT }).status === 0;
}

/** Checks every edit applies to exactly one place before anything is changed. */
function validate(mutations) {
	const problems = [];
	for (const mutation of mutations) {
		for (const edit of mutation.edits) {
			const count = read(edit.file).split(edit.from).length - 1;
			if (count !== 1) problems.push(`${mutation.id}: ${JSON.stringify(edit.from.slice(0, 60))} occurs ${count} times in ${edit.file}`);
			if (!isClean(edit.file)) problems.push(`${mutation.id}: ${edit.file} has uncommitted changes`);
		}
	}
	if (problems.length > 0) throw new Error(`cannot run:\n  ${problems.join("\n  ")}`);
}

const MAX_RSS_MB = Number(process.env.MUTATION_MAX_RSS_MB ?? 3000);
const TIMEOUT_MS = Number(process.env.MUTATION_TIMEOUT_SECONDS ?? 300) * 1000;

/**
 * Runs `argv` in its own process group; kills the group past the time limit, or when the
 * child's memory passes MAX_RSS_MB (a mutation that removes a body limit makes a reader buffer
 * without end). Resolves with the output and why it ended.
 */
function runBounded(argv) {
	return new Promise((resolve) => {
		const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
		let stdout = "";
		let stderr = "";
		let stopped = "";
		child.stdout.on("data", (chunk) => (stdout += chunk));
		child.stderr.on("data", (chunk) => (stderr += chunk));
		function stop(reason) {
			if (stopped !== "") return;
			stopped = reason;
			try {
				process.kill(-child.pid, "SIGKILL");
			} catch {
				// already gone
			}
		}
		const timer = setTimeout(() => stop(`timed out after ${TIMEOUT_MS / 1000} s`), TIMEOUT_MS);
		const watch = setInterval(() => {
			try {
				const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
				if (rss > MAX_RSS_MB) stop(`killed at ${Math.round(rss)} MB of memory`);
			} catch {
				// no /proc (not Linux), or the child just ended
			}
		}, 500);
		child.on("close", (status) => {
			clearTimeout(timer);
			clearInterval(watch);
			resolve({ status, stdout, stderr, stopped });
		});
	});
}

/** Runs one suite or command; returns the red tests ("file: suite \"name\"") and a note. */
async function runTarget(target) {
	if (target.command !== undefined) {
		const result = await runBounded(target.command);
		const output = `${result.stdout}${result.stderr}`;
		const red =
			result.status !== 0 && result.stopped === ""
				? [
						`${target.command.join(" ")}: ${
							output
								.split("\n")
								.find((line) => line.trim() !== "")
								?.trim() ?? `exit ${result.status}`
						}`,
					]
				: [];
		return { red, note: result.stopped };
	}
	const result = await runBounded([process.execPath, "--import", "tsx", "node_modules/uvu/bin.js", target.dir, target.pattern ?? "\\.test\\.ts$", "--no-color"]);
	const red = [];
	let file = "";
	for (const line of result.stdout.split("\n")) {
		if (/^[\w./-]+\.ts$/.test(line)) file = `${target.dir}/${line}`;
		const failure = /^\s+FAIL\s+(.*)$/.exec(line);
		if (failure !== null) red.push(`${file}: ${failure[1].replace(/\s{2,}/g, " ")}`);
	}
	let note = "";
	if (result.stopped !== "") note = `${target.dir}: ${result.stopped}`;
	else if (result.status !== 0 && red.length === 0) note = `${target.dir} exited ${result.status} without a FAIL line: ${result.stderr.trim().split("\n").at(-1)}`;
	return { red, note };
}

async function runMutation(mutation) {
	const originals = new Map();
	for (const edit of mutation.edits) if (!originals.has(edit.file)) originals.set(edit.file, read(edit.file));
	restoreOnExit = () => {
		for (const [file, text] of originals) writeFileSync(join(ROOT, file), text);
	};
	try {
		const edited = new Map(originals);
		for (const edit of mutation.edits)
			edited.set(
				edit.file,
				edited.get(edit.file).replace(edit.from, () => edit.to),
			);
		for (const [file, text] of edited) writeFileSync(join(ROOT, file), text);
		const red = [];
		const notes = [];
		for (const target of mutation.run) {
			const outcome = await runTarget(target);
			red.push(...outcome.red);
			if (outcome.note !== "") notes.push(outcome.note);
		}
		return { red, notes };
	} finally {
		restoreOnExit();
		restoreOnExit = () => {};
	}
}

let restoreOnExit = () => {};
for (const signal of ["SIGINT", "SIGTERM"]) {
	process.on(signal, () => {
		restoreOnExit();
		process.exit(130);
	});
}

function cell(text) {
	return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

const args = parseArgs(process.argv.slice(2));
const selected = MUTATIONS.filter((mutation) => args.only === null || args.only.has(mutation.id));
if (args.only !== null && selected.length !== args.only.size) throw new Error(`unknown mutation id among ${[...args.only].join(", ")}`);
if (args.list) {
	for (const mutation of selected) console.log(`${mutation.id.padEnd(38)} ${mutation.guards.padEnd(28)} ${mutation.what}`);
	process.exit(0);
}
validate(selected);
if (args.check) {
	console.log(`${selected.length} mutations apply to the current tree`);
	process.exit(0);
}
const rows = ["| mutation | guards | what it breaks | result | red tests |", "| --- | --- | --- | --- | --- |"];
let survived = 0;
for (const [index, mutation] of selected.entries()) {
	const started = Date.now();
	process.stdout.write(`[${index + 1}/${selected.length}] ${mutation.id} … `);
	const { red, notes } = await runMutation(mutation);
	const killed = red.length > 0 || notes.length > 0;
	if (!killed) survived++;
	console.log(`${killed ? "killed" : "SURVIVED"} (${red.length} red, ${Math.round((Date.now() - started) / 1000)} s)${notes.length > 0 ? ` ${notes.join("; ")}` : ""}`);
	const shown = red.slice(0, 4).join("<br>") + (red.length > 4 ? `<br>… and ${red.length - 4} more` : "");
	rows.push(`| \`${mutation.id}\` | ${mutation.guards} | ${cell(mutation.what)} | ${killed ? "killed" : "**survived**"} | ${cell([shown, ...notes].filter(Boolean).join("<br>"))} |`);
}
const table = rows.join("\n");
console.log(`\n${table}\n\n${selected.length - survived} of ${selected.length} mutations killed, ${survived} survived.`);
if (args.out !== null) writeFileSync(args.out, `${table}\n`);
process.exitCode = survived > 0 ? 1 : 0;
