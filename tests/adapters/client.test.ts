// refresh-kit/client against the Node adapter over a real socket: login, single-flight
// refresh, retry after 401, logout, both transports. Cookie transport runs through a tiny
// cookie jar around fetch, standing in for the browser.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createAuthClient } from "../../client/index.js";
import { manualClock } from "../helpers.js";
import { browserFetch, start } from "./client-fixture.js";

const client = suite("refresh-kit/client");

client("cookie transport: login, authorized fetch, expiry -> one refresh for many callers, logout", async () => {
	const fixture = await start("cookie");
	try {
		const ended: string[] = [];
		const auth = createAuthClient({ baseUrl: `${fixture.server.url}/auth`, fetch: browserFetch(), clock: fixture.clock, onSessionEnd: (reason) => ended.push(reason) });
		assert.is(await auth.login({ username: "ada", password: "wrong" }), false);
		assert.ok(await auth.login({ username: "ada", password: "pw" }));
		assert.equal(await (await auth.fetch(`${fixture.server.url}/api/me`)).json(), { sub: "ada" });
		assert.is(fixture.tokenRequests(), 0, "a fresh access token needs no refresh");

		fixture.clock.advance(45); // inside the 30 s refresh margin of a 60 s token
		const tokens = await Promise.all(Array.from({ length: 10 }, () => auth.getAccessToken()));
		assert.is(fixture.tokenRequests(), 1, "ten callers, one refresh");
		assert.is(new Set(tokens).size, 1);
		assert.equal(await (await auth.fetch(`${fixture.server.url}/api/me`)).json(), { sub: "ada" });

		await auth.logout();
		assert.equal(ended, ["logout"]);
		assert.is(await auth.getAccessToken(), null, "after logout the refresh cookie is gone and the server refuses");
		assert.is((await auth.fetch(`${fixture.server.url}/api/me`)).status, 401);
	} finally {
		await fixture.close();
	}
});

client("body transport: the client holds the refresh token; a rejected refresh ends the session once", async () => {
	const fixture = await start("body");
	try {
		const saved: Array<string | null> = [];
		let stored: string | null = null;
		const storage = {
			load: () => stored,
			save: (token: string | null) => {
				stored = token;
				saved.push(token);
			},
		};
		const ended: string[] = [];
		const auth = createAuthClient({ baseUrl: `${fixture.server.url}/auth`, transport: "body", storage, clock: fixture.clock, onSessionEnd: (reason) => ended.push(reason) });
		assert.ok(await auth.login({ username: "ada", password: "pw" }));
		const first = stored as string | null;
		assert.ok(first?.startsWith("rk2_"));
		await auth.refresh();
		assert.ok(stored !== first, "rotation: a new refresh token was saved");

		// Someone replays the retired token after the grace window: reuse revokes the session.
		fixture.clock.advance(11);
		const replay = await fetch(`${fixture.server.url}/auth/token`, { method: "POST", body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: first as string }) });
		assert.is(replay.status, 400);
		assert.is(await auth.refresh(), null, "the client's own token now belongs to a revoked session");
		assert.is(await auth.refresh(), null);
		assert.equal(ended, ["rejected"], "onSessionEnd fires once");
		assert.is(stored, null, "the dead token was forgotten");
	} finally {
		await fixture.close();
	}
});

client("a 401 from the API triggers one refresh and one retry", async () => {
	const fixture = await start("body");
	try {
		const auth = createAuthClient({ baseUrl: `${fixture.server.url}/auth`, transport: "body", clock: fixture.clock });
		assert.ok(await auth.login({ username: "ada", password: "pw" }));
		// The server's clock moves past the access token's expiry while the client's does not.
		fixture.clock.advance(120);
		const clientClock = manualClock(new Date(fixture.clock.now().getTime() - 120_000));
		const skewed = createAuthClient({ baseUrl: `${fixture.server.url}/auth`, transport: "body", clock: clientClock });
		assert.ok(await skewed.login({ username: "ada", password: "pw" }));
		fixture.clock.advance(120);
		const before = fixture.tokenRequests();
		const response = await skewed.fetch(`${fixture.server.url}/api/me`);
		assert.is(response.status, 200);
		assert.is(fixture.tokenRequests() - before, 1, "exactly one refresh after the 401");
	} finally {
		await fixture.close();
	}
});

client("logout waits for a refresh in flight, so that refresh's Set-Cookie cannot land after logout's clearing", async () => {
	const events: string[] = [];
	let answerToken: () => void = () => undefined;
	const fakeFetch = async (input: string | URL | Request): Promise<Response> => {
		const url = String(input);
		events.push(`send ${url}`);
		if (url.endsWith("/token")) {
			await new Promise<void>((resolve) => (answerToken = resolve));
			events.push("token answered");
			return Response.json({ access_token: "a.b.c", token_type: "Bearer", expires_in: 60 });
		}
		return new Response(null, { status: 204 });
	};
	const auth = createAuthClient({ baseUrl: "http://app.test/auth", fetch: fakeFetch as typeof fetch });
	const refreshing = auth.refresh();
	const loggingOut = auth.logout();
	await new Promise((resolve) => setTimeout(resolve, 20));
	assert.equal(events, ["send http://app.test/auth/token"]);
	answerToken();
	await Promise.all([refreshing, loggingOut]);
	assert.equal(events, ["send http://app.test/auth/token", "token answered", "send http://app.test/auth/logout"]);
});

client.run();
