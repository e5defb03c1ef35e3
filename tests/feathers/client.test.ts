// refresh-kit/adapters/feathers/client: a Feathers client app (@feathersjs/authentication-client
// with RefreshKitAuthenticationClient) against the in-process server, over REST (fetch) and
// Socket.io on real loopback sockets.
import { MemoryStorage } from "@feathersjs/authentication-client";
import type { Application } from "@feathersjs/feathers";
import type { Socket } from "socket.io-client";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { RefreshKitClientOptions } from "../../adapters/feathers/client/index.js";
import { memoryStore } from "../../storage/memory/index.js";
import { type Harness, harness, manualClock } from "../helpers.js";
import { type FaultyStore, faultyStore } from "../support/faulty-store.js";
import { PASSWORD, startTestApp, type TestApp } from "./app.js";
import { authClient, nextEvent as nextEventOf, restClient as restClientFor, socketClient as socketClientFor } from "./clients.js";

const CREDENTIALS = { strategy: "local", email: "alice@example.com", password: PASSWORD };

let h: Harness;
let t: TestApp;
let store: FaultyStore;
let sockets: Socket[] = [];

async function start(accessTokenTtl: number): Promise<void> {
	store = faultyStore(memoryStore());
	h = harness({ accessTokenTtl, store });
	t = await startTestApp({ tokens: h.service, clock: h.clock });
}

test.before.each(async () => {
	sockets = [];
	await start(60);
});
test.after.each(async () => {
	for (const socket of sockets) socket.disconnect();
	await t.close();
});

function restClient(options: Partial<RefreshKitClientOptions> = {}): Application {
	return restClientFor(t.url, { clock: h.clock, ...options });
}

// The system clock: renewal timers wait for real time to pass. The client measures its skew
// against the server's (fixed, manual) clock on every fresh token.
function socketClient(options: Partial<RefreshKitClientOptions> = {}): Promise<{ app: Application; socket: Socket }> {
	return socketClientFor(t.url, sockets, options, { reconnectionDelay: 50, reconnectionDelayMax: 100 });
}

const client = authClient;

/** Exchanges the server saw: rotations, and replays of a rotated token inside the grace window. */
function refreshes(): number {
	return h.events.filter((event) => event.type === "refreshed" || event.type === "grace-replayed").length;
}

function nextEvent(app: Application, ms = 1000): Promise<unknown> {
	return nextEventOf(app.service("messages"), "created", ms);
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

test("REST: login stores both tokens; a call made when the access token is about to expire refreshes first", async () => {
	const app = restClient();
	const login = await app.authenticate(CREDENTIALS);
	assert.match(login.refreshToken, /^rk2_/);
	assert.is(await client(app).getRefreshToken(), login.refreshToken);
	assert.is(await client(app).getAccessToken(), login.accessToken);
	assert.equal(await app.service("messages").find(), []);
	assert.is(refreshes(), 0);
	h.clock.advance(31); // inside the 30 s margin of a 60 s token
	assert.equal(await app.service("messages").find(), []);
	assert.is(refreshes(), 1);
	assert.is.not(await client(app).getRefreshToken(), login.refreshToken);
});

test("REST: calls refused because the token expired refresh once (single flight) and are retried", async () => {
	// The client's clock stands still: it believes its token fresh, the server knows better.
	const app = restClient({ clock: manualClock() });
	await app.authenticate(CREDENTIALS);
	h.clock.advance(60 + 5 + 1);
	const results = await Promise.all(Array.from({ length: 5 }, (_, index) => app.service("messages").create({ text: `m${index}` })));
	assert.equal(results.map((message) => message.text).sort(), ["m0", "m1", "m2", "m3", "m4"]);
	assert.is(refreshes(), 1, "one exchange for five refused calls");
	assert.is((await t.app.service("messages").find()).length, 5, "each call ran once");
});

test("REST: a call refused with a token a refresh has replaced meanwhile is retried without another refresh", async () => {
	const app = restClient({ clock: manualClock() });
	await app.authenticate(CREDENTIALS);
	h.clock.advance(60 + 5 + 1);
	// The find goes out with the expired token; its refusal reaches the client after the refresh
	// started next to it has finished.
	app.service("messages").hooks({ error: { find: [() => sleep(300)] } });
	const [messages] = await Promise.all([app.service("messages").find(), client(app).refresh()]);
	assert.equal(messages, []);
	assert.is(refreshes(), 1);
});

test("REST: a refresh the server refuses ends the session on the client: the call fails, both tokens are forgotten", async () => {
	const app = restClient();
	await app.authenticate(CREDENTIALS);
	await h.service.revokeSubject("1");
	h.clock.advance(60 + 5 + 1);
	try {
		await app.service("messages").find();
		assert.unreachable("the call succeeded with a revoked session");
	} catch (error) {
		assert.is((error as { code?: number }).code, 401);
	}
	assert.is(await client(app).getRefreshToken(), null);
	assert.is(await client(app).getAccessToken(), null);
	assert.is(client(app).authenticated, false);
});

test("REST: a refresh that meets an unavailable store (503) keeps both tokens; the next one succeeds with them", async () => {
	const app = restClient();
	const login = await app.authenticate(CREDENTIALS);
	store.arm("rotateToken", "before");
	try {
		await client(app).refresh();
		assert.unreachable("the refresh succeeded with the store down");
	} catch (error) {
		assert.is((error as { code?: number }).code, 503);
	}
	assert.is(await client(app).getRefreshToken(), login.refreshToken);
	assert.is(await client(app).getAccessToken(), login.accessToken);
	const next = await client(app).refresh();
	assert.is.not(next.refreshToken, login.refreshToken);
});

test("REST: a renewal ahead of expiry that meets a 503 leaves the call its still valid token", async () => {
	const app = restClient();
	const login = await app.authenticate(CREDENTIALS);
	h.clock.advance(31);
	store.arm("rotateToken", "before");
	assert.equal(await app.service("messages").find(), []);
	assert.is(await client(app).getRefreshToken(), login.refreshToken);
	assert.is(client(app).authenticated, true);
	assert.equal(await app.service("messages").find(), []);
	assert.is.not(await client(app).getRefreshToken(), login.refreshToken, "the next call renewed");
});

test("REST: reAuthenticate (page load) uses a fresh access token as is, and an expired one's refresh token", async () => {
	const storage = new MemoryStorage();
	const first = restClient({ storage });
	const login = await first.authenticate(CREDENTIALS);
	const reloaded = restClient({ storage });
	assert.is((await reloaded.reAuthenticate()).accessToken, login.accessToken);
	assert.is(refreshes(), 0);
	h.clock.advance(60);
	const again = restClient({ storage });
	const resumed = await again.reAuthenticate();
	assert.is(refreshes(), 1);
	assert.is.not(resumed.accessToken, login.accessToken);
	assert.equal(await again.service("messages").find(), []);
});

test("REST: logout revokes the session on the server (renewing an expiring token first) and forgets both tokens", async () => {
	const app = restClient();
	const login = await app.authenticate(CREDENTIALS);
	h.clock.advance(59);
	await app.logout();
	assert.is(await client(app).getRefreshToken(), null);
	assert.is(await client(app).getAccessToken(), null);
	assert.equal(await h.service.listSessions("1"), []);
	const replay = await fetch(`${t.url}/authentication`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ strategy: "refresh", refreshToken: login.refreshToken }),
	});
	assert.is(replay.status, 401);
});

test("Socket.io: an idle socket is renewed before its token expires and keeps its channel", async () => {
	await t.close();
	await start(1);
	const { app, socket } = await socketClient();
	await app.authenticate(CREDENTIALS);
	await sleep(1300); // past the 1 s token: the client renewed it at half its life
	assert.ok(refreshes() >= 1);
	const event = nextEvent(app);
	await t.app.service("messages").create({ text: "still here" });
	assert.equal(await event, { id: 0, text: "still here" });
	assert.equal(await app.service("messages").find(), [{ id: 0, text: "still here" }]);
	assert.ok(socket.connected);
});

test("Socket.io: after expiry a call is refused, the client refreshes on the same socket and retries; channels come back", async () => {
	await t.close();
	await start(1);
	const { app, socket } = await socketClient({ renewSocket: false });
	await app.authenticate(CREDENTIALS);
	const id = socket.id;
	await sleep(1200); // the server's timer ended the connection's authentication
	h.clock.advance(1);
	assert.equal(await app.service("messages").find(), []);
	assert.is(refreshes(), 1);
	assert.is(socket.id, id, "the same connection");
	const event = nextEvent(app);
	await t.app.service("messages").create({ text: "back" });
	assert.equal(await event, { id: 0, text: "back" });
});

test("Socket.io: after a reconnect the client authenticates the new connection, refreshing an expired token", async () => {
	const { app, socket } = await socketClient({ renewSocket: false });
	await app.authenticate(CREDENTIALS);
	h.clock.advance(60 + 5 + 1); // expired for the server; the client (system clock) does not know yet
	const reconnected = new Promise((resolve) => socket.io.once("reconnect", resolve));
	socket.io.engine.close(); // a dropped network connection: socket.io reconnects by itself
	await reconnected;
	await client(app).reAuthenticate(); // what Feathers' disconnect handler started
	assert.is(refreshes(), 1);
	const event = nextEvent(app);
	await t.app.service("messages").create({ text: "on the new connection" });
	assert.equal(await event, { id: 0, text: "on the new connection" });
});

test.run();
