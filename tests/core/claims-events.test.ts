import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { decodeJwt } from "jose";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { RESERVED_CLAIMS } from "../../core/access-token.js";
import type { TokenEvent, TokenSet } from "../../core/index.js";
import { parseRefreshToken } from "../../core/refresh-token.js";
import { harness, hex, rejects } from "../helpers.js";

const claims = suite("caller claims");

claims("caller claims appear in every access token: issue, rotation and grace replay", async () => {
	const { service, clock } = harness();
	const extra = { role: "admin", tenant: "t-1", scope: "read write", nested: { a: [1, 2] } };
	const first = await service.issue({ subject: "alice", claims: extra });
	const second = await service.exchange(first.refreshToken);
	clock.advance(1);
	const replayed = await service.exchange(first.refreshToken);
	clock.advance(60);
	const third = await service.exchange(second.refreshToken);
	for (const set of [first, second, replayed, third]) {
		const verified = await service.verify(set.accessToken);
		assert.is(verified.role, "admin");
		assert.is(verified.tenant, "t-1");
		assert.is(verified.scope, "read write");
		assert.equal(verified.nested, { a: [1, 2] });
		assert.is(verified.sub, "alice");
	}
});

claims("claims are copied at issue: mutating the caller's object later changes nothing", async () => {
	const { service } = harness();
	const extra: Record<string, unknown> = { role: "user" };
	const first = await service.issue({ subject: "alice", claims: extra });
	extra.role = "admin";
	const next = await service.exchange(first.refreshToken);
	assert.is((await service.verify(next.accessToken)).role, "user");
});

claims("every reserved claim is refused with ERR_INPUT_INVALID, and no session is created", async () => {
	const { service, store } = harness();
	assert.ok(RESERVED_CLAIMS.size >= 9);
	for (const name of ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "client_id", ...RESERVED_CLAIMS]) {
		await rejects(service.issue({ subject: "mallory", claims: { [name]: "x" } }), "ERR_INPUT_INVALID");
	}
	assert.equal(await store.listSessions("mallory", new Date("2026-01-01T00:00:00Z"), 1000), []);
});

claims("claims that are not a plain JSON object are refused with ERR_INPUT_INVALID", async () => {
	const { service } = harness();
	const cyclic: Record<string, unknown> = {};
	cyclic.self = cyclic;
	const bad: unknown[] = [null, [], ["role"], "role=admin", 42, new Date(), new Map([["a", 1]]), Object.create(null), cyclic, { big: 10n }, { blob: "x".repeat(9000) }];
	for (const value of bad) {
		await rejects(service.issue({ subject: "alice", claims: value as Record<string, unknown> }), "ERR_INPUT_INVALID");
	}
});

claims("bad subject or device is ERR_INPUT_INVALID", async () => {
	const { service } = harness();
	const subjects: unknown[] = ["", "x".repeat(1025), 42, null, undefined, {}, ["alice"]];
	for (const subject of subjects) await rejects(service.issue({ subject: subject as string }), "ERR_INPUT_INVALID");
	await rejects(service.issue({ subject: "alice", device: "d".repeat(257) }), "ERR_INPUT_INVALID");
	await rejects(service.issue({ subject: "alice", device: 7 as unknown as string }), "ERR_INPUT_INVALID");
	await rejects(service.issue(null as unknown as { subject: string }), "ERR_INPUT_INVALID");
	await rejects(service.issue("alice" as unknown as { subject: string }), "ERR_INPUT_INVALID");
	await rejects(service.revokeSubject(""), "ERR_INPUT_INVALID");
	await rejects(service.listSessions(42 as unknown as string), "ERR_INPUT_INVALID");
	await rejects(service.revokeSession(""), "ERR_INPUT_INVALID");
	await rejects(service.revokeSession(null as unknown as string), "ERR_INPUT_INVALID");
	assert.is((await service.issue({ subject: "x".repeat(1024), device: "d".repeat(256) })).tokenType, "Bearer");
});

claims("NUL characters in subject, device or claims are ERR_INPUT_INVALID on every store (PostgreSQL text cannot hold them)", async () => {
	const { service } = harness();
	await rejects(service.issue({ subject: "ali\u0000ce" }), "ERR_INPUT_INVALID");
	await rejects(service.issue({ subject: "alice", device: "pho\u0000ne" }), "ERR_INPUT_INVALID");
	await rejects(service.issue({ subject: "alice", claims: { note: "a\u0000b" } }), "ERR_INPUT_INVALID");
	await rejects(service.issue({ subject: "alice", claims: { "k\u0000": 1 } }), "ERR_INPUT_INVALID");
	await rejects(service.revokeSubject("x\u0000"), "ERR_INPUT_INVALID");
	await rejects(service.listSessions("x\u0000"), "ERR_INPUT_INVALID");
	assert.ok(await service.issue({ subject: "alice", device: "phone", claims: { note: "fine" } }));
});

claims("lone UTF-16 surrogates in subject, device, claim names or values are ERR_INPUT_INVALID (jsonb refuses them; text would turn them into U+FFFD and merge two subjects)", async () => {
	const { service, store } = harness();
	for (const input of [
		{ subject: "user-\uD800" },
		{ subject: "\uDC00user" },
		{ subject: "alice", device: "phone-\uD83D" },
		{ subject: "alice", claims: { name: "x\uDFFF" } },
		{ subject: "alice", claims: { "n\uD800": 1 } },
		{ subject: "alice", claims: { nested: { list: ["ok", "\uDBFF"] } } },
	]) {
		await rejects(service.issue(input), "ERR_INPUT_INVALID");
	}
	await rejects(service.revokeSubject("user-\uD800"), "ERR_INPUT_INVALID");
	assert.equal(await store.listSessions("user-\uD800", new Date("2026-01-01T00:00:00Z"), 1000), []);
	// A well-formed pair is fine.
	const ok = await service.issue({ subject: "emoji-\uD83D\uDE00", claims: { face: "\uD83D\uDE00" } });
	assert.is((await service.verify(ok.accessToken)).face, "\uD83D\uDE00");
});

claims("claims are read once into a plain-data copy: getters, setters, toJSON, class instances, symbols, holes and deep nesting are refused", async () => {
	const { service, store } = harness();
	let reads = 0;
	const sneaky = {
		get role() {
			reads++;
			return reads === 1 ? "user" : "x".repeat(20_000);
		},
	};
	const deep: Record<string, unknown> = {};
	let cursor = deep;
	for (let i = 0; i < 20; i++) cursor = cursor.next = {} as Record<string, unknown>;
	class Role {
		name = "admin";
	}
	const sparse = ["a"];
	sparse[2] = "c";
	const bad: unknown[] = [
		sneaky,
		{ toJSON: () => ({ sub: "root" }) },
		{ role: new Role() },
		{ [Symbol("hidden")]: 1, role: "user" },
		{ list: sparse },
		{ n: Number.NaN },
		{ n: Number.POSITIVE_INFINITY },
		{ u: undefined },
		{ f: () => 1 },
		deep,
		JSON.parse('{"__proto__": {"admin": true}}'),
	];
	for (const claims of bad) await rejects(service.issue({ subject: "mallory", claims: claims as Record<string, unknown> }), "ERR_INPUT_INVALID");
	assert.is(reads, 0, "a getter is refused without being called");
	assert.equal(await store.listSessions("mallory", new Date("2026-01-01T00:00:00Z"), 1000), []);
});

claims("a proxy that answers differently on each read is signed and stored as it read the first time", async () => {
	const { service, store } = harness();
	let reads = 0;
	const shifty = new Proxy({ role: "user" } as Record<string, unknown>, {
		getOwnPropertyDescriptor(target, key) {
			reads++;
			const descriptor = Reflect.getOwnPropertyDescriptor(target, key);
			return descriptor === undefined ? undefined : { ...descriptor, value: reads === 1 ? "user" : "admin" };
		},
		get() {
			return "admin";
		},
	});
	const tokens = await service.issue({ subject: "mallory", claims: shifty });
	assert.is((await service.verify(tokens.accessToken)).role, "user");
	assert.equal((await store.findSession(tokens.sessionId))?.claims, { role: "user" });
	assert.is((await service.verify((await service.exchange(tokens.refreshToken)).accessToken)).role, "user");
});

claims("registered claims cannot be replaced through the signer: sub, sid and exp come from the service", async () => {
	const { service } = harness();
	const tokens = await service.issue({ subject: "alice", claims: { role: "user", nested: { sub: "root", exp: 1 } } });
	const verified = await service.verify(tokens.accessToken);
	assert.is(verified.sub, "alice");
	assert.is(verified.sid, tokens.sessionId);
	assert.ok(verified.exp > 1);
	assert.equal(verified.nested, { sub: "root", exp: 1 });
});

claims("claims are limited to 8192 bytes of UTF-8 JSON, counted in bytes", async () => {
	const { service } = harness();
	await rejects(service.issue({ subject: "alice", claims: { s: "é".repeat(4100) } }), "ERR_INPUT_INVALID"); // 4108 characters, 8208 bytes
	assert.ok(await service.issue({ subject: "alice", claims: { s: "e".repeat(8000) } }));
});

const events = suite("events");

/** Every textual spelling of a token's material an event must never contain. */
function forbiddenSpellings(set: TokenSet): string[] {
	const parts = parseRefreshToken(set.refreshToken);
	assert.ok(parts !== null);
	const body = set.refreshToken.slice(4);
	const [header, payload, signature] = set.accessToken.split(".") as [string, string, string];
	return [
		set.refreshToken,
		body,
		body.slice(-43), // the characters that carry the secret
		encodeBase64urlNoPadding(parts.secret),
		hex(parts.secret) as string,
		encodeBase64urlNoPadding(parts.familyProof),
		hex(parts.familyProof) as string,
		set.accessToken,
		`${header}.${payload}`,
		signature,
	];
}

function assertNoTokenMaterial(recorded: TokenEvent[], sets: TokenSet[]): void {
	const serialized = recorded.map((event) => JSON.stringify(event)).join("\n");
	for (const set of sets) {
		for (const spelling of forbiddenSpellings(set)) {
			assert.not.ok(serialized.includes(spelling), `an event contains token material (${spelling.slice(0, 12)}…)`);
		}
	}
	for (const event of recorded) {
		for (const [name, value] of Object.entries(event)) {
			assert.ok(value === undefined || typeof value === "string" || typeof value === "number" || typeof value === "boolean" || value instanceof Date, `event field ${name} is a ${typeof value}`);
		}
	}
}

events("every event type is emitted with subject, session id and the clock's time, and none carries token material", async () => {
	const { service, clock, events: recorded } = harness({ refresh: { idleTtl: "1h", reuseGrace: "10s" } });
	const sets: TokenSet[] = [];
	const a = await service.issue({ subject: "alice", claims: { role: "admin" }, device: "laptop" });
	sets.push(a);
	assert.equal(
		recorded.map((event) => event.type),
		["issued"],
	);
	const b = await service.exchange(a.refreshToken);
	sets.push(b);
	clock.advance(5);
	sets.push(await service.exchange(a.refreshToken)); // grace replay
	clock.advance(5);
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REUSED"); // reuse, revokes the session
	await rejects(service.exchange(b.refreshToken), "ERR_TOKEN_REVOKED");

	const c = await service.issue({ subject: "alice" });
	sets.push(c);
	clock.advance(3600);
	await rejects(service.exchange(c.refreshToken), "ERR_TOKEN_EXPIRED");
	const d = await service.issue({ subject: "alice" });
	sets.push(d);
	await service.revoke(d.refreshToken);
	const e = await service.issue({ subject: "alice" });
	sets.push(e);
	await service.revokeSession(e.sessionId);
	const f = await service.issue({ subject: "alice" });
	sets.push(f);
	assert.is(await service.revokeSubject("alice"), 1);

	const types = new Set(recorded.map((event) => event.type));
	assert.equal([...types].sort(), ["expired", "grace-replayed", "issued", "refreshed", "reuse-detected", "revoked"]);
	assert.equal(
		recorded.filter((event) => event.type === "revoked").map((event) => event.reason),
		["reuse", "logout", "admin", "subject"],
	);
	const reuse = recorded.find((event) => event.type === "reuse-detected");
	assert.is(reuse?.action, "revoke-session");
	assert.is(reuse?.sessionId, a.sessionId);
	assert.is(recorded.find((event) => event.type === "refreshed")?.generation, 1);
	assert.is(recorded.find((event) => event.type === "grace-replayed")?.generation, 1);
	for (const event of recorded) {
		assert.is(event.subject, "alice");
		assert.match(event.sessionId, /^[0-9a-f-]{36}$/);
		assert.instance(event.at, Date);
	}
	assert.is(recorded.find((event) => event.type === "expired")?.sessionId, c.sessionId);
	assert.is(recorded.at(-1)?.at.getTime(), clock.now().getTime());
	assertNoTokenMaterial(recorded, sets);
});

events("reuse mode events carry no token material either", async () => {
	const { service, events: recorded } = harness({ refresh: { mode: "reuse" } });
	const a = await service.issue({ subject: "bob", device: "phone" });
	const b = await service.issue({ subject: "bob", device: "phone" });
	const c = await service.exchange(a.refreshToken);
	assert.equal(
		recorded.map((event) => [event.type, "reused" in event ? event.reused : undefined]),
		[
			["issued", false],
			["issued", true],
		],
	);
	assertNoTokenMaterial(recorded, [a, b, c]);
});

events("a listener that throws does not fail the call", async () => {
	const { service } = harness({
		onEvent: () => {
			throw new Error("listener broke");
		},
	});
	const a = await service.issue({ subject: "alice" });
	const b = await service.exchange(a.refreshToken);
	assert.is((await service.verify(b.accessToken)).sub, "alice");
	await service.revoke(b.refreshToken);
	await rejects(service.exchange(b.refreshToken), "ERR_TOKEN_REVOKED");
});

events("error messages never contain token material", async () => {
	const { service, clock } = harness();
	const a = await service.issue({ subject: "alice" });
	await service.exchange(a.refreshToken);
	clock.advance(11);
	const errors = [
		await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REUSED"),
		await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REVOKED"),
		await rejects(service.exchange(a.refreshToken.slice(0, -1)), "ERR_TOKEN_MALFORMED"),
		await rejects(service.verify(a.accessToken + "x"), "ERR_ACCESS_TOKEN_INVALID"),
	];
	clock.advance(3600);
	errors.push(await rejects(service.verify(a.accessToken), "ERR_ACCESS_TOKEN_EXPIRED"));
	for (const error of errors) {
		for (const spelling of forbiddenSpellings(a)) assert.not.ok(`${error.message} ${error.stack ?? ""}`.includes(spelling));
	}
	assert.is(decodeJwt(a.accessToken).sub, "alice");
});

claims.run();
events.run();
