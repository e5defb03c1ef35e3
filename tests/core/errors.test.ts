import { suite } from "uvu";
import * as assert from "uvu/assert";
import { AuthClientError, type AuthClientErrorCode, createAuthClient, isAuthClientError } from "../../client/index.js";
import { isTokenError, TokenError, type TokenErrorCode } from "../../core/index.js";
import type { TokenStore } from "../../core/port.js";
import { formatRefreshToken, newFamilyProof, newSecret, parseRefreshToken } from "../../core/refresh-token.js";
import { memoryStore } from "../../storage/memory/index.js";
import { harness, rejects, settle, TEST_REFRESH_KEYS, unknownToken } from "../helpers.js";

function brokenStore(failure: () => Promise<never>): TokenStore {
	const inner = memoryStore();
	return { ...inner, rotateToken: failure, createSession: failure, findSession: failure };
}

const triggers: Record<TokenErrorCode, () => Promise<TokenError>> = {
	async ERR_TOKEN_MALFORMED() {
		return rejects(harness().service.exchange("not-a-token"), "ERR_TOKEN_MALFORMED") as Promise<TokenError>;
	},
	async ERR_TOKEN_UNKNOWN() {
		const token = unknownToken();
		return rejects(harness().service.exchange(token), "ERR_TOKEN_UNKNOWN") as Promise<TokenError>;
	},
	async ERR_TOKEN_EXPIRED() {
		const { service, clock } = harness();
		const tokens = await service.issue({ subject: "alice" });
		clock.advance(30 * 86_400);
		return rejects(service.exchange(tokens.refreshToken), "ERR_TOKEN_EXPIRED") as Promise<TokenError>;
	},
	async ERR_TOKEN_REVOKED() {
		const { service } = harness();
		const tokens = await service.issue({ subject: "alice" });
		await service.revoke(tokens.refreshToken);
		return rejects(service.exchange(tokens.refreshToken), "ERR_TOKEN_REVOKED") as Promise<TokenError>;
	},
	async ERR_TOKEN_REUSED() {
		const { service, clock } = harness();
		const tokens = await service.issue({ subject: "alice" });
		await service.exchange(tokens.refreshToken);
		clock.advance(10);
		return rejects(service.exchange(tokens.refreshToken), "ERR_TOKEN_REUSED") as Promise<TokenError>;
	},
	async ERR_ACCESS_TOKEN_INVALID() {
		return rejects(harness().service.verify("a.b.c"), "ERR_ACCESS_TOKEN_INVALID") as Promise<TokenError>;
	},
	async ERR_ACCESS_TOKEN_EXPIRED() {
		const { service, clock } = harness();
		const tokens = await service.issue({ subject: "alice" });
		clock.advance(905);
		return rejects(service.verify(tokens.accessToken), "ERR_ACCESS_TOKEN_EXPIRED") as Promise<TokenError>;
	},
	async ERR_STORE_UNAVAILABLE() {
		const cause = new Error("connection refused");
		const { service } = harness({ store: brokenStore(() => Promise.reject(cause)) });
		const error = (await rejects(service.issue({ subject: "alice" }), "ERR_STORE_UNAVAILABLE")) as TokenError;
		assert.is(error.cause, cause, "cause is forwarded");
		return error;
	},
	async ERR_CONFIG_INVALID() {
		try {
			harness({ keys: { secret: "short" } });
		} catch (error) {
			assert.ok(isTokenError(error, "ERR_CONFIG_INVALID"));
			return error as TokenError;
		}
		assert.unreachable("createTokenService accepted a short secret");
		throw new Error("unreachable");
	},
	async ERR_INPUT_INVALID() {
		return rejects(harness().service.issue({ subject: "alice", claims: { sub: "root" } }), "ERR_INPUT_INVALID") as Promise<TokenError>;
	},
};

const codes = suite("TokenError codes");

for (const [code, trigger] of Object.entries(triggers) as [TokenErrorCode, () => Promise<TokenError>][]) {
	codes(`${code} is raised, as a TokenError with that code`, async () => {
		const error = await trigger();
		assert.instance(error, TokenError);
		assert.instance(error, Error);
		assert.is(error.name, "TokenError");
		assert.is(error.code, code);
		assert.type(error.message, "string");
		assert.ok(isTokenError(error, code));
	});
}

codes("isTokenError recognises copies from another package instance and refuses look-alikes", () => {
	assert.ok(isTokenError({ name: "TokenError", code: "ERR_TOKEN_UNKNOWN" }, "ERR_TOKEN_UNKNOWN"));
	assert.not.ok(isTokenError({ name: "Error", code: "ERR_TOKEN_UNKNOWN" }));
	assert.not.ok(isTokenError(new TokenError("ERR_TOKEN_UNKNOWN", "x"), "ERR_TOKEN_REUSED"));
	assert.not.ok(isTokenError(null));
	assert.not.ok(isTokenError("ERR_TOKEN_UNKNOWN"));
});

codes("a store that does not answer within storeTimeout is ERR_STORE_UNAVAILABLE", async () => {
	const hanging = brokenStore(() => new Promise<never>(() => {}));
	const { service } = harness({ store: hanging, storeTimeout: "30ms" });
	await rejects(service.issue({ subject: "alice" }), "ERR_STORE_UNAVAILABLE");
	await rejects(service.exchange(unknownToken()), "ERR_STORE_UNAVAILABLE");
});

codes("a store that throws synchronously or rejects with a non-Error is ERR_STORE_UNAVAILABLE", async () => {
	const inner = memoryStore();
	const sync: TokenStore = {
		...inner,
		createSession: () => {
			throw new TypeError("driver bug");
		},
	};
	await rejects(harness({ store: sync }).service.issue({ subject: "alice" }), "ERR_STORE_UNAVAILABLE");
	const odd: TokenStore = { ...memoryStore(), createSession: () => Promise.reject("just a string") };
	await rejects(harness({ store: odd }).service.issue({ subject: "alice" }), "ERR_STORE_UNAVAILABLE");
});

const malformed = suite("exchange: malformed input");

const unhandled: unknown[] = [];
function recordUnhandled(reason: unknown): void {
	unhandled.push(reason);
}
malformed.before(() => {
	process.on("unhandledRejection", recordUnhandled);
});
malformed.after(() => {
	process.off("unhandledRejection", recordUnhandled);
});

malformed("empty, huge, binary, wrong types, other versions and non-canonical spellings are ERR_TOKEN_MALFORMED", async () => {
	const { service, store } = harness();
	const valid = (await service.issue({ subject: "alice" })).refreshToken;
	const body = valid.slice(4);
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const nonCanonical = valid.slice(0, -1) + alphabet[alphabet.indexOf(valid.at(-1) as string) | 1];
	const inputs: Record<string, unknown> = {
		empty: "",
		"1 MB": "rk2_" + "A".repeat(1 << 20),
		"1 MB of junk": "\u0000".repeat(1 << 20),
		binary: "rk2_" + Array.from({ length: 91 }, (_, i) => String.fromCharCode(128 + (i % 128))).join(""),
		"unicode of the right length": "rk2_" + "é".repeat(91),
		emoji: "rk1_" + "😀".repeat(43),
		"version 0": "rk0_" + body,
		"version 1 prefix on a v2 body": "rk1_" + body,
		"version 3": "rk3_" + body,
		"upper-case prefix": "RK2_" + body,
		"no prefix": body,
		"too short": valid.slice(0, -1),
		"too long": valid + "A",
		padded: valid + "==",
		whitespace: ` ${valid}`,
		"trailing newline": `${valid}\n`,
		"standard base64 alphabet": "rk2_" + body.replaceAll("-", "+").replaceAll("_", "/").padEnd(91, "+").slice(0, 90) + "+",
		"non-canonical trailing bits": nonCanonical,
		"a JWT": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.sig",
		number: 42,
		zero: 0,
		object: { refreshToken: valid },
		array: [valid],
		null: null,
		undefined,
		boolean: false,
		bigint: 1n,
		symbol: Symbol("rk2"),
		"String object": new String(valid),
		Uint8Array: new TextEncoder().encode(valid),
		function: () => valid,
	};
	for (const [label, input] of Object.entries(inputs)) {
		try {
			await service.exchange(input as string);
		} catch (error) {
			assert.ok(isTokenError(error, "ERR_TOKEN_MALFORMED"), `${label}: expected ERR_TOKEN_MALFORMED, got ${isTokenError(error) ? error.code : String(error)}`);
			continue;
		}
		assert.unreachable(`${label}: exchange accepted it`);
	}
	const record = await store.findSession(parseRefreshToken(valid)?.sessionId as string);
	assert.is(record?.generation, 0, "nothing was rotated by any of it");
	await service.exchange(valid);
});

malformed("well-formed random tokens are ERR_TOKEN_UNKNOWN", async () => {
	const { service } = harness();
	for (let i = 0; i < 20; i++) {
		await rejects(service.exchange(unknownToken()), "ERR_TOKEN_UNKNOWN");
	}
});

malformed("a known session id with a wrong family proof is ERR_TOKEN_UNKNOWN and changes nothing", async () => {
	const { service, store, events } = harness();
	const a = await service.issue({ subject: "alice" });
	const b = await service.exchange(a.refreshToken);
	for (let i = 0; i < 5; i++) {
		await rejects(service.exchange(formatRefreshToken({ sessionId: a.sessionId, keyId: TEST_REFRESH_KEYS.current.id, familyProof: newFamilyProof(), secret: newSecret() })), "ERR_TOKEN_UNKNOWN");
	}
	assert.is(events.filter((event) => event.type === "reuse-detected").length, 0);
	assert.is((await store.findSession(a.sessionId))?.revokedAt, null);
	await service.exchange(b.refreshToken);
});

malformed("the right secret with an altered family proof matches nothing: one credential, one spelling", async () => {
	const { service, store } = harness();
	const a = await service.issue({ subject: "alice" });
	const parts = parseRefreshToken(a.refreshToken);
	assert.ok(parts !== null);
	const respelled = formatRefreshToken({ ...parts, familyProof: newFamilyProof() });
	await rejects(service.exchange(respelled), "ERR_TOKEN_UNKNOWN");
	assert.is((await store.findSession(a.sessionId))?.generation, 0, "the forged spelling rotated nothing");
	await service.exchange(a.refreshToken);
});

malformed("no unhandled rejection was raised", async () => {
	await settle();
	assert.equal(unhandled, []);
});

codes.run();
malformed.run();

const clientCodes = suite("AuthClientError codes (refresh-kit/client)");

// The client reports what the auth server answered; it never reuses the server's codes.
const clientTriggers: Record<AuthClientErrorCode, () => Promise<unknown>> = {
	async ERR_SERVER_UNAVAILABLE() {
		const storage = { load: () => "rk1_x", save: () => undefined };
		const client = createAuthClient({ transport: "body", storage, fetch: async () => Response.json({ error: "temporarily_unavailable" }, { status: 503 }) });
		return client.refresh().then(
			() => null,
			(error: unknown) => error,
		);
	},
	async ERR_HTTP_UNEXPECTED() {
		const storage = { load: () => "rk1_x", save: () => undefined };
		const client = createAuthClient({ transport: "body", storage, fetch: async () => new Response("<html>", { status: 502 }) });
		return client.refresh().then(
			() => null,
			(error: unknown) => error,
		);
	},
	async ERR_CONFIG_INVALID() {
		try {
			createAuthClient({ transport: "carrier-pigeon" as "body" });
		} catch (error) {
			return error;
		}
		return null;
	},
};

for (const [code, trigger] of Object.entries(clientTriggers) as [AuthClientErrorCode, () => Promise<unknown>][]) {
	clientCodes(`${code} is raised, as an AuthClientError with that code`, async () => {
		const error = await trigger();
		assert.instance(error, AuthClientError);
		assert.is((error as AuthClientError).code, code);
		assert.ok(isAuthClientError(error, code));
		assert.not.ok(isTokenError(error), "not a server-side TokenError");
	});
}

clientCodes.run();
