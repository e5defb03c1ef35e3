import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createTokenService, isTokenError, type TokenServiceOptions } from "../../core/index.js";
import type { TokenStore } from "../../core/port.js";
import { memoryStore } from "../../storage/memory/index.js";
import { harness, manualClock, TEST_REFRESH_SECRET, TEST_SECRET } from "../helpers.js";

function base(): TokenServiceOptions {
	return { store: memoryStore(), keys: { secret: TEST_SECRET }, issuer: "https://auth.test", audience: "https://api.test", refresh: { secret: TEST_REFRESH_SECRET } };
}

function assertConfigInvalid(build: () => unknown, label: string): void {
	try {
		build();
	} catch (error) {
		assert.ok(isTokenError(error, "ERR_CONFIG_INVALID"), `${label}: expected ERR_CONFIG_INVALID, got ${String(error)}`);
		return;
	}
	assert.unreachable(`${label}: createTokenService accepted it`);
}

/** A memory store that lies about nothing except the guarantee under test. */
function storeWithGuarantees(guarantees: unknown): TokenStore {
	return { ...memoryStore(), guarantees } as unknown as TokenStore;
}

const options = suite("options");

options("the minimal options build a service", () => {
	const service = createTokenService(base());
	assert.type(service.issue, "function");
});

options("every documented option is accepted", () => {
	createTokenService({
		...base(),
		audience: ["https://api.test", "https://other.test"],
		accessTokenTtl: "5m",
		clockTolerance: 0,
		clientId: "web",
		refresh: { mode: "reuse", idleTtl: null, absoluteTtl: null, reuseGrace: 0, onReuse: "report-only", secret: "r".repeat(32) },
		clock: manualClock(),
		onEvent: () => {},
		storeTimeout: "250ms",
	});
	createTokenService({ ...base(), refresh: { idleTtl: 60, absoluteTtl: "1w", reuseGrace: "30s", onReuse: "revoke-subject", secret: new Uint8Array(32) }, storeTimeout: 2 });
});

options("each bad option is ERR_CONFIG_INVALID", () => {
	const bad: Record<string, (options: TokenServiceOptions) => unknown> = {
		"unknown top-level key": (o) => ({ ...o, issuerr: "x" }),
		"unknown refresh key": (o) => ({ ...o, refresh: { graceWindow: "10s" } }),
		"refresh not an object": (o) => ({ ...o, refresh: "rotate" }),
		"no store": (o) => ({ ...o, store: undefined }),
		"store not an object": (o) => ({ ...o, store: "memory" }),
		"store missing a method": (o) => {
			const { prune: _prune, ...partial } = memoryStore();
			return { ...o, store: partial };
		},
		"store without guarantees": (o) => {
			const { guarantees: _guarantees, ...rest } = memoryStore();
			return { ...o, store: rest };
		},
		"store with guarantees.atomicRotation false": (o) => ({ ...o, store: storeWithGuarantees({ atomicRotation: false }) }),
		"store with guarantees.atomicRotation 'yes'": (o) => ({ ...o, store: storeWithGuarantees({ atomicRotation: "yes" }) }),
		"store with empty guarantees": (o) => ({ ...o, store: storeWithGuarantees({}) }),
		"no issuer": (o) => ({ ...o, issuer: undefined }),
		"empty issuer": (o) => ({ ...o, issuer: "" }),
		"issuer not a string": (o) => ({ ...o, issuer: 42 }),
		"no audience": (o) => ({ ...o, audience: undefined }),
		"empty audience": (o) => ({ ...o, audience: "" }),
		"empty audience list": (o) => ({ ...o, audience: [] }),
		"audience list with an empty string": (o) => ({ ...o, audience: ["https://api.test", ""] }),
		"audience list with a number": (o) => ({ ...o, audience: ["https://api.test", 1] }),
		"accessTokenTtl 0": (o) => ({ ...o, accessTokenTtl: 0 }),
		"accessTokenTtl negative": (o) => ({ ...o, accessTokenTtl: -1 }),
		"accessTokenTtl fractional": (o) => ({ ...o, accessTokenTtl: 1.5 }),
		"accessTokenTtl bad unit": (o) => ({ ...o, accessTokenTtl: "15 minutes" }),
		"clockTolerance negative": (o) => ({ ...o, clockTolerance: -5 }),
		"clockTolerance garbage": (o) => ({ ...o, clockTolerance: "soon" }),
		"clientId empty": (o) => ({ ...o, clientId: "" }),
		"clientId number": (o) => ({ ...o, clientId: 7 }),
		"mode unknown": (o) => ({ ...o, refresh: { mode: "sliding" } }),
		"onReuse unknown": (o) => ({ ...o, refresh: { onReuse: "ignore" } }),
		"idleTtl 0": (o) => ({ ...o, refresh: { idleTtl: 0 } }),
		"idleTtl garbage": (o) => ({ ...o, refresh: { idleTtl: "forever" } }),
		"absoluteTtl 0": (o) => ({ ...o, refresh: { absoluteTtl: "0d" } }),
		"absoluteTtl negative": (o) => ({ ...o, refresh: { absoluteTtl: -86400 } }),
		"reuseGrace negative": (o) => ({ ...o, refresh: { reuseGrace: -1 } }),
		"reuseGrace garbage": (o) => ({ ...o, refresh: { reuseGrace: "10 s s" } }),
		"refresh.secret too short": (o) => ({ ...o, refresh: { secret: "short" } }),
		"refresh.secret wrong type": (o) => ({ ...o, refresh: { secret: 1234 } }),
		"keys secret too short": (o) => ({ ...o, keys: { secret: "x".repeat(31) } }),
		"keys missing": (o) => ({ ...o, keys: undefined }),
		"clock without now": (o) => ({ ...o, clock: {} }),
		"clock a function": (o) => ({ ...o, clock: () => new Date() }),
		"onEvent not a function": (o) => ({ ...o, onEvent: "log" }),
		"storeTimeout 0": (o) => ({ ...o, storeTimeout: 0 }),
		"storeTimeout 0ms": (o) => ({ ...o, storeTimeout: "0ms" }),
		"storeTimeout garbage": (o) => ({ ...o, storeTimeout: "fast" }),
		// null means "never" only for idleTtl and absoluteTtl; elsewhere it is a mistake, not a default.
		"refresh null": (o) => ({ ...o, refresh: null }),
		"accessTokenTtl null": (o) => ({ ...o, accessTokenTtl: null }),
		"reuseGrace null": (o) => ({ ...o, refresh: { reuseGrace: null } }),
		"mode null": (o) => ({ ...o, refresh: { mode: null } }),
		"onReuse null": (o) => ({ ...o, refresh: { onReuse: null } }),
		"clock null": (o) => ({ ...o, clock: null }),
		"storeTimeout null": (o) => ({ ...o, storeTimeout: null }),
	};
	for (const [label, mutate] of Object.entries(bad)) {
		assertConfigInvalid(() => createTokenService(mutate(base()) as TokenServiceOptions), label);
	}
	assertConfigInvalid(() => createTokenService(undefined as unknown as TokenServiceOptions), "no options");
	assertConfigInvalid(() => createTokenService(null as unknown as TokenServiceOptions), "null options");
});

options("a clock that returns a non-Date makes calls fail with ERR_CONFIG_INVALID, not a TypeError", async () => {
	const { service } = harness({ clock: { now: () => "2026-01-01" as unknown as Date } });
	try {
		await service.issue({ subject: "alice" });
	} catch (error) {
		assert.ok(isTokenError(error, "ERR_CONFIG_INVALID"));
		return;
	}
	assert.unreachable("issue accepted a clock that returns a string");
});

options("durations: numbers are seconds and strings carry a unit", async () => {
	const clock = manualClock();
	const service = createTokenService({ ...base(), clock, accessTokenTtl: 90, refresh: { ...base().refresh, idleTtl: "2m", absoluteTtl: "1h" } });
	const tokens = await service.issue({ subject: "alice" });
	assert.is(tokens.expiresIn, 90);
	assert.is(tokens.refreshTokenExpiresAt?.getTime(), clock.now().getTime() + 120_000);
});

options("defaults: access 15 min, idle 30 d (sooner than absolute 90 d)", async () => {
	const { service, clock } = harness();
	const tokens = await service.issue({ subject: "alice" });
	assert.is(tokens.expiresIn, 900);
	assert.is(tokens.tokenType, "Bearer");
	assert.is(tokens.refreshTokenExpiresAt?.getTime(), clock.now().getTime() + 30 * 86_400_000);
});

options.run();
