// Reliability, scenario 4: hostile clocks.
// - Access tokens verified by a service whose clock is skewed by up to ±30 s from the issuer's
//   behave exactly as documented: `exp` is checked with `clockTolerance` leeway (default 5 s),
//   nothing else is time-checked (no `nbf` is set, `iat` is not compared), so a verifier
//   accepts a token while its own clock is before exp + tolerance, to the millisecond.
// - Refresh decisions at the exact idle, absolute and grace boundaries give the same verdict on
//   every repetition (the PostgreSQL run is in store-faults-postgres.long.ts).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createTokenService, createVerifier, generateSigningKeys, isTokenError, type Verifier } from "../../core/index.js";
import { memoryStore } from "../../storage/memory/index.js";
import { manualClock, TEST_REFRESH_SECRET } from "../helpers.js";
import { boundaryDecisions } from "./lib/boundaries.js";
import { recordScenario } from "./lib/report.js";

const ISSUER = "https://auth.test";
const AUDIENCE = "https://api.test";
const T0 = Date.parse("2026-05-01T08:00:00.000Z");

async function verdict(verifier: Verifier, token: string): Promise<string> {
	try {
		await verifier.verify(token);
		return "valid";
	} catch (error) {
		return isTokenError(error) ? error.code : String(error);
	}
}

const skew = suite("reliability: access tokens under clock skew");

skew("verifier clock skewed -30..+30 s: valid exactly until exp + tolerance on the verifier's clock, every time", async () => {
	const keys = await generateSigningKeys("EdDSA");
	const publicKeys = (await createTokenService({ store: memoryStore(), keys, issuer: ISSUER, audience: AUDIENCE, refresh: { secret: TEST_REFRESH_SECRET } }).jwks()).keys;
	const issuerClock = manualClock(new Date(T0));
	const issuer = createTokenService({ store: memoryStore(), keys, issuer: ISSUER, audience: AUDIENCE, refresh: { secret: TEST_REFRESH_SECRET }, clock: issuerClock, accessTokenTtl: 60 });
	const rows: Array<{ skew: number; tolerance: number; lastValidMs: number; checks: number }> = [];
	for (const tolerance of [5, 30]) {
		for (const skewSeconds of [-30, -5, 0, 5, 30]) {
			const verifierClock = manualClock();
			const remote = createVerifier({ keys: publicKeys, issuer: ISSUER, audience: AUDIENCE, clock: verifierClock, ...(tolerance === 5 ? {} : { clockTolerance: tolerance }) });
			// A second issuer instance sharing the keys, on the skewed clock, verifying with service.verify.
			const peer = createTokenService({ store: memoryStore(), keys, issuer: ISSUER, audience: AUDIENCE, refresh: { secret: TEST_REFRESH_SECRET }, clock: verifierClock, ...(tolerance === 5 ? {} : { clockTolerance: tolerance }) });
			let checks = 0;
			let lastValidMs = 0;
			// Tokens issued at varying milliseconds within a second: iat and exp are whole seconds (floor).
			for (const withinSecond of [0, 999]) {
				issuerClock.set(new Date(T0 + withinSecond));
				const { accessToken } = await issuer.issue({ subject: "u" });
				const iatMs = T0; // floor(T0 + withinSecond) in seconds, T0 being a whole second
				// Valid iff floor(verifierNow) < exp + tolerance, i.e. verifierNow < iat + ttl + tolerance (ms).
				const edgeIssuerMs = iatMs + (60 + tolerance - skewSeconds) * 1000;
				lastValidMs = edgeIssuerMs - 1 - T0;
				for (const [issuerMs, expected] of [
					[T0 + withinSecond, edgeIssuerMs > T0 + withinSecond ? "valid" : "ERR_ACCESS_TOKEN_EXPIRED"],
					[edgeIssuerMs - 1000, "valid"],
					[edgeIssuerMs - 1, "valid"],
					[edgeIssuerMs, "ERR_ACCESS_TOKEN_EXPIRED"],
					[edgeIssuerMs + 1, "ERR_ACCESS_TOKEN_EXPIRED"],
				] as const) {
					if (issuerMs < T0 + withinSecond) continue;
					verifierClock.set(new Date(issuerMs + skewSeconds * 1000));
					// Same decision every time, from both kinds of verifier.
					for (let repeat = 0; repeat < 3; repeat++) {
						assert.is(await verdict(remote, accessToken), expected, `skew ${skewSeconds} s, tolerance ${tolerance} s, issuer +${issuerMs - T0} ms`);
						assert.is(await verdict(peer, accessToken), expected);
						checks += 2;
					}
				}
			}
			rows.push({ skew: skewSeconds, tolerance, lastValidMs, checks });
		}
	}
	recordScenario("clock-skew", { ttlSeconds: 60, rows });
	// The documented reading, spelled out for the default tolerance: a verifier 30 s ahead stops
	// accepting a 60 s token 35 s after issue (60 + 5 - 30); one 30 s behind accepts it until 95 s.
	assert.is(rows.find((row) => row.skew === 30 && row.tolerance === 5)?.lastValidMs, 34_999);
	assert.is(rows.find((row) => row.skew === -30 && row.tolerance === 5)?.lastValidMs, 94_999);
});

skew("a verifier 30 s behind accepts a token issued 'in its future' (iat is not checked); one 30 s ahead rejects a 20 s token at once", async () => {
	const keys = await generateSigningKeys("EdDSA");
	const issuerClock = manualClock(new Date(T0));
	const issuer = createTokenService({ store: memoryStore(), keys, issuer: ISSUER, audience: AUDIENCE, refresh: { secret: TEST_REFRESH_SECRET }, clock: issuerClock, accessTokenTtl: 20 });
	const { accessToken } = await issuer.issue({ subject: "u" });
	const behind = createVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, clock: { now: () => new Date(T0 - 30_000) } });
	const ahead = createVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, clock: { now: () => new Date(T0 + 30_000) } });
	const claims = await behind.verify(accessToken);
	assert.is(claims.iat * 1000 - (T0 - 30_000), 30_000, "iat is 30 s in the verifier's future and still accepted");
	// 20 s lifetime + 5 s tolerance < 30 s skew: expired on arrival, as documented (ERR_ACCESS_TOKEN_EXPIRED).
	assert.is(await verdict(ahead, accessToken), "ERR_ACCESS_TOKEN_EXPIRED");
});

const boundaries = suite("reliability: refresh decisions at exact boundaries (memory store)");

boundaries("idle, absolute and grace: the same verdict on every repetition, -1 ms / 0 / +1 ms around each edge", async () => {
	const repeats = 40;
	const results = await boundaryDecisions(memoryStore(), repeats);
	recordScenario("boundaries-memory", { repeats, results });
	for (const result of results) {
		assert.equal(result.outcomes, { [result.expected]: repeats }, result.name);
	}
	assert.is(results.length, 12);
});

skew.run();
boundaries.run();
