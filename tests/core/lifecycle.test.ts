// The lifecycle, stepped through every boundary to the second on a manual clock.
// Defaults: access 15 min, idle 30 d, absolute 90 d, grace 10 s, onReuse revoke-session.
import { decodeJwt } from "jose";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { formatRefreshToken, newFamilyProof, newSecret, parseRefreshToken } from "../../core/refresh-token.js";
import { harness, hex, rejects, TEST_REFRESH_KEYS } from "../helpers.js";

const DAY = 86_400;

const expiry = suite("lifecycle: expiry boundaries");

expiry("access token: valid at exp-1 s (and through the 5 s tolerance), expired at exp+5 s", async () => {
	const { service, clock } = harness();
	const tokens = await service.issue({ subject: "alice" });
	clock.advance(899);
	assert.is((await service.verify(tokens.accessToken)).sub, "alice");
	clock.advance(1); // exp
	assert.is((await service.verify(tokens.accessToken)).sub, "alice");
	clock.advance(4); // exp + 4
	assert.is((await service.verify(tokens.accessToken)).sub, "alice");
	clock.advance(1); // exp + 5
	await rejects(service.verify(tokens.accessToken), "ERR_ACCESS_TOKEN_EXPIRED");
});

expiry("idle: the refresh token works at idle-1 s and is expired at idle", async () => {
	const { service, clock, events } = harness();
	const a = await service.issue({ subject: "alice" });
	const b = await service.issue({ subject: "alice" });
	clock.advance(30 * DAY - 1);
	await service.exchange(a.refreshToken);
	clock.advance(1);
	await rejects(service.exchange(b.refreshToken), "ERR_TOKEN_EXPIRED");
	assert.is(events.filter((event) => event.type === "expired").length, 1);
	await rejects(service.exchange(b.refreshToken), "ERR_TOKEN_EXPIRED");
	assert.equal(
		(await service.listSessions("alice")).map((session) => session.id),
		[a.sessionId],
	);
});

expiry("idle: every rotation slides the idle expiry to now + idle", async () => {
	const { service, clock } = harness();
	const issuedAt = clock.now().getTime();
	let tokens = await service.issue({ subject: "alice" });
	assert.is(tokens.refreshTokenExpiresAt?.getTime(), issuedAt + 30 * DAY * 1000);
	clock.advance(20 * DAY);
	tokens = await service.exchange(tokens.refreshToken);
	assert.is(tokens.refreshTokenExpiresAt?.getTime(), clock.now().getTime() + 30 * DAY * 1000);
	clock.advance(30 * DAY - 1); // 50 d - 1 s after issue: alive only because the rotation slid it
	const slid = await service.exchange(tokens.refreshToken);
	clock.advance(30 * DAY);
	await rejects(service.exchange(slid.refreshToken), "ERR_TOKEN_EXPIRED");
});

expiry("absolute: rotation never extends a session past absoluteTtl; the last access token is capped", async () => {
	const { service, clock } = harness();
	const issuedAt = clock.now().getTime();
	const absolute = issuedAt + 90 * DAY * 1000;
	let tokens = await service.issue({ subject: "alice" });
	for (const day of [29, 58, 87]) {
		clock.set(new Date(issuedAt + day * DAY * 1000));
		tokens = await service.exchange(tokens.refreshToken);
		assert.ok((tokens.refreshTokenExpiresAt?.getTime() as number) <= absolute, `day ${day}`);
	}
	assert.is(tokens.refreshTokenExpiresAt?.getTime(), absolute, "capped at the absolute expiry, not now + 30 d");

	clock.set(new Date(absolute - 100_000)); // 100 s before the cap: shorter than the 15 min access lifetime
	tokens = await service.exchange(tokens.refreshToken);
	assert.is(tokens.refreshTokenExpiresAt?.getTime(), absolute);
	const claims = decodeJwt(tokens.accessToken);
	assert.is(claims.exp, absolute / 1000, "the access token never outlives the session");
	assert.is(tokens.expiresIn, 100);

	clock.set(new Date(absolute - 1000));
	tokens = await service.exchange(tokens.refreshToken);
	assert.is(tokens.expiresIn, 1);
	assert.is(decodeJwt(tokens.accessToken).exp, absolute / 1000);

	clock.set(new Date(absolute));
	await rejects(service.exchange(tokens.refreshToken), "ERR_TOKEN_EXPIRED");
	assert.equal(await service.listSessions("alice"), []);
});

expiry("absolute shorter than idle (idle 30 d, absolute 7 d): the first token already expires at absolute, used or not", async () => {
	const { service, clock, events } = harness({ refresh: { idleTtl: "30d", absoluteTtl: "7d" } });
	const start = clock.now().getTime();
	const absolute = start + 7 * DAY * 1000;
	const unused = await service.issue({ subject: "alice" });
	// The cap applies at issue time, not only at the first rotation.
	assert.is(unused.refreshTokenExpiresAt?.getTime(), absolute);
	const sessions = await service.listSessions("alice");
	assert.equal(
		sessions.map((session) => session.expiresAt?.getTime()),
		[absolute],
	);
	let used = await service.issue({ subject: "alice", device: "phone" });
	clock.set(new Date(start + 3 * DAY * 1000));
	used = await service.exchange(used.refreshToken);
	assert.is(used.refreshTokenExpiresAt?.getTime(), absolute, "a rotation on day 3 is capped too, not now + 30 d");
	clock.set(new Date(absolute - 1000)); // one second before the cap: both still work
	used = await service.exchange(used.refreshToken);
	assert.is(used.expiresIn, 1, "the access token ends with the session");
	clock.set(new Date(absolute)); // at the cap: both expired, though 30 d of idle time remain
	await rejects(service.exchange(used.refreshToken), "ERR_TOKEN_EXPIRED");
	await rejects(service.exchange(unused.refreshToken), "ERR_TOKEN_EXPIRED");
	clock.set(new Date(start + 8 * DAY * 1000)); // day 8: still expired, never a successor
	await rejects(service.exchange(unused.refreshToken), "ERR_TOKEN_EXPIRED");
	assert.is(events.filter((event) => event.type === "refreshed").length, 2);
	assert.equal(await service.listSessions("alice"), []);
});

expiry("reuse mode, absolute shorter than idle: the first login's token expires at absolute", async () => {
	const { service, clock } = harness({ refresh: { mode: "reuse", idleTtl: "30d", absoluteTtl: "7d" } });
	const start = clock.now().getTime();
	const tokens = await service.issue({ subject: "alice", device: "kiosk" });
	assert.is(tokens.refreshTokenExpiresAt?.getTime(), start + 7 * DAY * 1000);
	clock.set(new Date(start + 7 * DAY * 1000 - 1000));
	assert.is((await service.exchange(tokens.refreshToken)).refreshToken, tokens.refreshToken);
	clock.set(new Date(start + 8 * DAY * 1000));
	await rejects(service.exchange(tokens.refreshToken), "ERR_TOKEN_EXPIRED");
});

expiry("idle shorter than absolute (idle 1 h, absolute 2 h): used every 50 min, the session still ends at absolute", async () => {
	const { service, clock } = harness({ refresh: { idleTtl: "1h", absoluteTtl: "2h" } });
	const start = clock.now().getTime();
	let tokens = await service.issue({ subject: "alice" });
	assert.is(tokens.refreshTokenExpiresAt?.getTime(), start + 3600_000);
	for (let t = 3000; t < 7200; t += 3000) {
		clock.set(new Date(start + t * 1000));
		tokens = await service.exchange(tokens.refreshToken);
		assert.is(tokens.refreshTokenExpiresAt?.getTime(), Math.min(start + (t + 3600) * 1000, start + 7200_000));
	}
	clock.set(new Date(start + 7199_000));
	tokens = await service.exchange(tokens.refreshToken);
	assert.is(tokens.refreshTokenExpiresAt?.getTime(), start + 7200_000);
	clock.set(new Date(start + 7200_000));
	await rejects(service.exchange(tokens.refreshToken), "ERR_TOKEN_EXPIRED");
});

expiry("null lifetimes: a session without idle or absolute limit never expires", async () => {
	const { service, clock } = harness({ refresh: { idleTtl: null, absoluteTtl: null } });
	let tokens = await service.issue({ subject: "alice" });
	assert.is(tokens.refreshTokenExpiresAt, null);
	clock.advance(3650 * DAY);
	tokens = await service.exchange(tokens.refreshToken);
	assert.is(tokens.refreshTokenExpiresAt, null);
	assert.is(tokens.expiresIn, 900);
});

expiry("a grace replay after the session expired is EXPIRED, not a successor", async () => {
	const { service, clock } = harness({ refresh: { idleTtl: 20, reuseGrace: "10s" } });
	const a = await service.issue({ subject: "alice" });
	clock.advance(15);
	await service.exchange(a.refreshToken); // expires at +35
	clock.advance(20);
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_EXPIRED");
});

const grace = suite("lifecycle: grace window and reuse");

grace("inside the grace window (grace-1 s) a replay gets the identical successor; at grace it is reuse", async () => {
	const { service, clock, events } = harness();
	const a = await service.issue({ subject: "alice" });
	clock.advance(100);
	const b = await service.exchange(a.refreshToken);
	const again = await service.exchange(a.refreshToken); // same instant
	assert.is(again.refreshToken, b.refreshToken);
	clock.advance(9); // grace - 1
	const late = await service.exchange(a.refreshToken);
	assert.is(late.refreshToken, b.refreshToken);
	assert.is(late.sessionId, b.sessionId);
	assert.is.not(late.accessToken, b.accessToken, "a fresh access token each time");
	assert.is(events.filter((event) => event.type === "grace-replayed").length, 2);
	clock.advance(1); // grace
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REUSED");
	await rejects(service.exchange(b.refreshToken), "ERR_TOKEN_REVOKED");
});

grace("a grace replay does not slide the idle expiry and does not rotate", async () => {
	const { service, clock, store } = harness();
	const a = await service.issue({ subject: "alice" });
	const b = await service.exchange(a.refreshToken);
	clock.advance(5);
	const replayed = await service.exchange(a.refreshToken);
	assert.is(replayed.refreshTokenExpiresAt?.getTime(), b.refreshTokenExpiresAt?.getTime());
	assert.is((await store.findSession(a.sessionId))?.generation, 1);
	const c = await service.exchange(b.refreshToken);
	assert.is((await store.findSession(a.sessionId))?.generation, 2);
	assert.is.not(c.refreshToken, b.refreshToken);
});

grace("two rotations back is reuse even inside the grace window", async () => {
	const { service } = harness();
	const a = await service.issue({ subject: "alice" });
	const b = await service.exchange(a.refreshToken);
	await service.exchange(b.refreshToken);
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REUSED");
});

grace("reuseGrace 0 turns every replay into reuse", async () => {
	const { service } = harness({ refresh: { reuseGrace: 0 } });
	const a = await service.issue({ subject: "alice" });
	await service.exchange(a.refreshToken);
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REUSED");
});

grace("concurrent exchanges of one token inside the grace window all get the identical successor", async () => {
	const { service, store, events } = harness();
	const a = await service.issue({ subject: "alice" });
	const results = await Promise.all(Array.from({ length: 8 }, () => service.exchange(a.refreshToken)));
	assert.is(new Set(results.map((set) => set.refreshToken)).size, 1);
	assert.is((await store.findSession(a.sessionId))?.generation, 1);
	assert.is(events.filter((event) => event.type === "refreshed").length, 1);
	assert.is(events.filter((event) => event.type === "grace-replayed").length, 7);
});

grace("onReuse 'revoke-session': the session is revoked once; other sessions of the subject live on", async () => {
	const { service, clock, events } = harness({ refresh: { onReuse: "revoke-session" } });
	const a = await service.issue({ subject: "alice" });
	const other = await service.issue({ subject: "alice" });
	const b = await service.exchange(a.refreshToken);
	clock.advance(10);
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REUSED");
	await rejects(service.exchange(b.refreshToken), "ERR_TOKEN_REVOKED");
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REVOKED");
	assert.equal(
		events.filter((event) => event.type === "revoked").map((event) => [event.sessionId, event.reason]),
		[[a.sessionId, "reuse"]],
	);
	assert.equal(
		events.filter((event) => event.type === "reuse-detected").map((event) => event.action),
		["revoke-session"],
	);
	await service.exchange(other.refreshToken);
});

grace("onReuse 'revoke-subject': every live session of the subject is revoked, other subjects untouched", async () => {
	const { service, clock, events } = harness({ refresh: { onReuse: "revoke-subject" } });
	const a = await service.issue({ subject: "alice" });
	const sibling = await service.issue({ subject: "alice", device: "phone" });
	const stranger = await service.issue({ subject: "bob" });
	await service.exchange(a.refreshToken);
	clock.advance(11);
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REUSED");
	await rejects(service.exchange(sibling.refreshToken), "ERR_TOKEN_REVOKED");
	assert.equal(
		events
			.filter((event) => event.type === "revoked")
			.map((event) => event.sessionId)
			.sort(),
		[a.sessionId, sibling.sessionId].sort(),
	);
	assert.equal(await service.listSessions("alice"), []);
	await service.exchange(stranger.refreshToken);
});

grace("onReuse 'report-only': reuse is reported every time, nothing is revoked", async () => {
	const { service, clock, events } = harness({ refresh: { onReuse: "report-only" } });
	const a = await service.issue({ subject: "alice" });
	const b = await service.exchange(a.refreshToken);
	clock.advance(10);
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REUSED");
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REUSED");
	assert.is(events.filter((event) => event.type === "reuse-detected").length, 2);
	assert.is(events.filter((event) => event.type === "revoked").length, 0);
	const c = await service.exchange(b.refreshToken);
	assert.is(c.sessionId, a.sessionId);
});

grace("a token with the session's family proof but a wrong secret is treated as reuse", async () => {
	// Only holders of a genuine token of the session know its family proof.
	const { service } = harness();
	const a = await service.issue({ subject: "alice" });
	const parts = parseRefreshToken(a.refreshToken);
	assert.ok(parts !== null);
	await rejects(service.exchange(formatRefreshToken({ ...parts, secret: newSecret() })), "ERR_TOKEN_REUSED");
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REVOKED");
});

const revocation = suite("lifecycle: revocation and listing");

revocation("revoke (RFC 7009): the session is logged out; unknown and malformed tokens are not errors", async () => {
	const { service, events } = harness();
	const a = await service.issue({ subject: "alice" });
	for (const junk of ["", "garbage", "rk2_" + "A".repeat(91), formatRefreshToken({ sessionId: "7b0f0f2e-4c44-4d8b-8e28-74fbd713a001", keyId: TEST_REFRESH_KEYS.current.id, familyProof: newFamilyProof(), secret: newSecret() })]) {
		await service.revoke(junk);
	}
	await service.revoke(42 as unknown as string);
	await service.revoke(null as unknown as string);
	assert.is(events.filter((event) => event.type === "revoked").length, 0);
	await service.revoke(a.refreshToken);
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REVOKED");
	await service.revoke(a.refreshToken); // twice is fine, and reports once
	assert.equal(
		events.filter((event) => event.type === "revoked").map((event) => event.reason),
		["logout"],
	);
});

revocation("revoke with the predecessor inside the grace window is a logout (a client logging out while its concurrent refresh lands)", async () => {
	const { service, clock, events } = harness();
	const a = await service.issue({ subject: "alice" });
	const b = await service.exchange(a.refreshToken);
	clock.advance(9);
	await service.revoke(a.refreshToken);
	await rejects(service.exchange(b.refreshToken), "ERR_TOKEN_REVOKED");
	assert.equal(
		events.filter((event) => event.type !== "issued" && event.type !== "refreshed").map((event) => [event.type, event.type === "revoked" ? event.reason : null]),
		[["revoked", "logout"]],
	);
});

revocation("revoke with a retired token outside the grace window is reuse: onReuse decides and reuse-detected is emitted", async () => {
	for (const onReuse of ["revoke-session", "revoke-subject", "report-only"] as const) {
		const { service, clock, events } = harness({ refresh: { onReuse } });
		const a = await service.issue({ subject: "alice" });
		const other = await service.issue({ subject: "alice", device: "other" });
		const b = await service.exchange(a.refreshToken);
		clock.advance(10);
		await service.revoke(a.refreshToken);
		const detected = events.filter((event) => event.type === "reuse-detected");
		assert.is(detected.length, 1, onReuse);
		assert.is(detected[0]?.type === "reuse-detected" && detected[0].action, onReuse);
		const reasons = events.flatMap((event) => (event.type === "revoked" ? [event.reason] : []));
		assert.not.ok(reasons.includes("logout"), `${onReuse}: a retired token is not a logout`);
		if (onReuse === "report-only") {
			assert.equal(reasons, []);
			assert.ok(await service.exchange(b.refreshToken), "report-only: the session lives on");
		} else {
			assert.equal(reasons, onReuse === "revoke-session" ? ["reuse"] : ["reuse", "reuse"]);
			await rejects(service.exchange(b.refreshToken), "ERR_TOKEN_REVOKED");
			if (onReuse === "revoke-session") assert.ok(await service.exchange(other.refreshToken), "the subject's other session lives on");
			else await rejects(service.exchange(other.refreshToken), "ERR_TOKEN_REVOKED");
		}
	}
});

revocation("revoke with a retired token of an expired session changes nothing and reports nothing", async () => {
	const { service, clock, events, store } = harness({ refresh: { idleTtl: "1h" } });
	const a = await service.issue({ subject: "alice" });
	await service.exchange(a.refreshToken);
	clock.advance(7200);
	const before = events.length;
	await service.revoke(a.refreshToken);
	assert.is(events.length, before);
	assert.is((await store.findSession(a.sessionId))?.revokedAt, null);
});

revocation("a forged token naming a real session id revokes nothing", async () => {
	const { service, store } = harness();
	const a = await service.issue({ subject: "alice" });
	const forged = formatRefreshToken({ sessionId: a.sessionId, keyId: TEST_REFRESH_KEYS.current.id, familyProof: newFamilyProof(), secret: newSecret() });
	await service.revoke(forged);
	await rejects(service.exchange(forged), "ERR_TOKEN_UNKNOWN");
	assert.is((await store.findSession(a.sessionId))?.revokedAt, null);
	const b = await service.exchange(a.refreshToken);
	assert.is(b.sessionId, a.sessionId);
});

revocation("revokeSession: true once, then false; unknown and non-UUID ids are false; uppercase ids work", async () => {
	const { service } = harness();
	const a = await service.issue({ subject: "alice" });
	const b = await service.issue({ subject: "alice" });
	assert.is(await service.revokeSession(a.sessionId), true);
	assert.is(await service.revokeSession(a.sessionId), false);
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REVOKED");
	assert.is(await service.revokeSession("00000000-0000-4000-8000-000000000000"), false);
	assert.is(await service.revokeSession("not-a-uuid"), false);
	assert.is(await service.revokeSession("'; drop table sessions; --"), false);
	assert.is(await service.revokeSession(b.sessionId.toUpperCase()), true);
	await rejects(service.exchange(b.refreshToken), "ERR_TOKEN_REVOKED");
});

revocation("revokeSubject returns the number of live sessions it revoked, and 0 the second time", async () => {
	const { service, clock } = harness({ refresh: { idleTtl: "1h" } });
	const expired = await service.issue({ subject: "alice" });
	clock.advance(3600);
	const live = [await service.issue({ subject: "alice" }), await service.issue({ subject: "alice", device: "phone" })];
	const alreadyRevoked = await service.issue({ subject: "alice" });
	await service.revokeSession(alreadyRevoked.sessionId);
	const bob = await service.issue({ subject: "bob" });
	assert.is(await service.revokeSubject("alice"), 2);
	assert.is(await service.revokeSubject("alice"), 0);
	assert.is(await service.revokeSubject("nobody"), 0);
	for (const set of live) await rejects(service.exchange(set.refreshToken), "ERR_TOKEN_REVOKED");
	await rejects(service.exchange(expired.refreshToken), "ERR_TOKEN_EXPIRED");
	await service.exchange(bob.refreshToken);
});

revocation("listSessions shows the live sessions of a subject, oldest first, with device and times", async () => {
	const { service, clock } = harness({ refresh: { idleTtl: "1h" } });
	const start = clock.now();
	const gone = await service.issue({ subject: "alice", device: "old" });
	clock.advance(1800);
	const a = await service.issue({ subject: "alice", device: "laptop" });
	clock.advance(60);
	const b = await service.issue({ subject: "alice" });
	const revoked = await service.issue({ subject: "alice", device: "x" });
	await service.revokeSession(revoked.sessionId);
	await service.issue({ subject: "bob" });
	clock.advance(60);
	await service.exchange(a.refreshToken);
	clock.set(new Date(start.getTime() + 3600_000)); // "gone" expires now
	const sessions = await service.listSessions("alice");
	assert.equal(
		sessions.map((session) => [session.id, session.device]),
		[
			[a.sessionId, "laptop"],
			[b.sessionId, null],
		],
	);
	const first = sessions[0];
	assert.is(first?.createdAt.getTime(), start.getTime() + 1800_000);
	assert.is(first?.lastUsedAt.getTime(), start.getTime() + 1920_000);
	assert.is(first?.expiresAt?.getTime(), start.getTime() + 1920_000 + 3600_000);
	assert.equal(Object.keys(first ?? {}).sort(), ["createdAt", "device", "expiresAt", "id", "lastUsedAt"]);
	assert.ok(!sessions.some((session) => session.id === gone.sessionId));
	assert.equal(await service.listSessions("nobody"), []);
});

revocation("prune keeps reuse detection working: a live rotated session survives and replay is still reuse", async () => {
	const { service, clock, store } = harness({ refresh: { idleTtl: "1h" } });
	const a = await service.issue({ subject: "alice" });
	const dead = await service.issue({ subject: "alice" });
	await service.revokeSession(dead.sessionId);
	await service.exchange(a.refreshToken);
	clock.advance(60);
	assert.is(await service.prune({ retention: 0 }), 1);
	assert.is(await store.findSession(dead.sessionId), null);
	await rejects(service.exchange(dead.refreshToken), "ERR_TOKEN_UNKNOWN");
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REUSED");
	assert.ok(hex((await store.findSession(a.sessionId))?.previousHash) !== null);
});

revocation("prune honours retention: dead sessions younger than it are kept", async () => {
	const { service, clock } = harness();
	const a = await service.issue({ subject: "alice" });
	await service.revokeSession(a.sessionId);
	clock.advance(7 * DAY - 1);
	assert.is(await service.prune(), 0);
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REVOKED");
	clock.advance(1);
	assert.is(await service.prune(), 1);
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_UNKNOWN");
	await rejects(service.prune({ retention: "soon" as "1s" }), "ERR_INPUT_INVALID");
	await rejects(service.prune({ batchSize: 0 }), "ERR_INPUT_INVALID");
});

revocation("prune drains in batches", async () => {
	const { service } = harness();
	for (let i = 0; i < 7; i++) await service.revokeSession((await service.issue({ subject: "alice" })).sessionId);
	assert.is(await service.prune({ retention: 0, batchSize: 3 }), 7);
	assert.is(await service.prune({ retention: 0, batchSize: 3 }), 0);
});

expiry.run();
grace.run();
revocation.run();
