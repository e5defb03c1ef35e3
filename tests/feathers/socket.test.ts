// refresh-kit/adapters/feathers over Socket.io: the in-process app on a real loopback socket,
// driven with socket.io-client speaking Feathers' socket protocol. A refresh re-authenticates
// the connection in place; an expired token ends its authentication but not the socket.
import { JWTStrategy } from "@feathersjs/authentication";
import { io, type Socket } from "socket.io-client";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type Harness, harness } from "../helpers.js";
import { PASSWORD, startTestApp, type TestApp } from "./app.js";
import { nextEvent as nextEventOf } from "./clients.js";

const TTL = 1;
// The adapter's expiry timers read this clock: the service's, 800 ms ahead, so an access token
// of the service's shortest lifetime (1 s) lapses on the socket after 200 ms of real time.
const EXPIRY_MS = 200;

let h: Harness;
let t: TestApp;
let sockets: Socket[] = [];

test.before.each(async () => {
	h = harness({ accessTokenTtl: TTL });
	t = await startTestApp({ tokens: h.service, clock: { now: () => new Date(h.clock.now().getTime() + TTL * 1000 - EXPIRY_MS) } });
	sockets = [];
});
test.after.each(async () => {
	for (const socket of sockets) socket.disconnect();
	await t.close();
});

async function connect(): Promise<Socket> {
	const socket = io(t.url, { transports: ["websocket"], reconnection: false, forceNew: true });
	sockets.push(socket);
	await new Promise<void>((resolve, reject) => {
		socket.once("connect", resolve);
		socket.once("connect_error", reject);
	});
	return socket;
}

/** A Feathers call over the socket: `emit(method, path, ...args, callback)`. */
function send(socket: Socket, method: string, path: string, ...args: unknown[]): Promise<{ error: any; result: any }> {
	return new Promise((resolve) => socket.emit(method, path, ...args, (error: unknown, result: unknown) => resolve({ error, result })));
}

async function authenticate(socket: Socket, request: Record<string, unknown>): Promise<any> {
	const { error, result } = await send(socket, "create", "authentication", request);
	assert.is(error, null, JSON.stringify(error));
	return result;
}

function nextEvent(socket: Socket, ms = 500): Promise<unknown> {
	return nextEventOf(socket, "messages created", ms);
}

async function publishMessage(text: string): Promise<void> {
	await t.app.service("messages").create({ text });
}

function serverConnection(): Record<string, any> {
	assert.is(t.connections.size, 1);
	return [...t.connections][0] as Record<string, any>;
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

test("login over the socket authenticates the connection; a refresh on it re-authenticates it in place, channels kept", async () => {
	const socket = await connect();
	const login = await authenticate(socket, { strategy: "local", email: "alice@example.com", password: PASSWORD });
	assert.match(login.refreshToken, /^rk2_/);
	assert.is((await send(socket, "find", "messages", {})).error, null);
	assert.is(serverConnection().authentication.accessToken, login.accessToken);
	const id = socket.id;
	const refreshed = await authenticate(socket, { strategy: "refresh", refreshToken: login.refreshToken });
	assert.is.not(refreshed.refreshToken, login.refreshToken);
	assert.equal(serverConnection().authentication, { strategy: "jwt", accessToken: refreshed.accessToken });
	assert.equal(serverConnection().user, { id: 1, email: "alice@example.com" });
	const event = nextEvent(socket);
	await publishMessage("after refresh");
	assert.equal(await event, { id: 0, text: "after refresh" });
	assert.is(socket.id, id);
	assert.ok(socket.connected);
});

test("an expired access token ends the connection's authentication but not the socket; a refresh restores calls and channels", async () => {
	const socket = await connect();
	let disconnects = 0;
	socket.on("disconnect", () => disconnects++);
	const login = await authenticate(socket, { strategy: "local", email: "alice@example.com", password: PASSWORD });
	await sleep(EXPIRY_MS + 100);
	h.clock.advance(TTL + 5 + 1); // and past the verifier's tolerance too
	assert.ok(socket.connected, "the socket is still open");
	assert.is(serverConnection().authentication, undefined);
	assert.is(serverConnection().user, undefined);
	const refused = await send(socket, "find", "messages", {});
	assert.is(refused.error?.code, 401);
	const missed = nextEvent(socket, 300);
	await publishMessage("while expired");
	assert.is(await missed, null, "no events while unauthenticated");
	const refreshed = await authenticate(socket, { strategy: "refresh", refreshToken: login.refreshToken });
	assert.is((await send(socket, "find", "messages", {})).error, null);
	assert.is(serverConnection().authentication.accessToken, refreshed.accessToken);
	const event = nextEvent(socket);
	await publishMessage("after the refresh");
	assert.equal(await event, { id: 1, text: "after the refresh" });
	assert.is(disconnects, 0);
});

test("channels set aside at expiry come back only for the same user", async () => {
	const socket = await connect();
	await authenticate(socket, { strategy: "local", email: "alice@example.com", password: PASSWORD });
	(t.app as any).channel("alice-only").join(serverConnection());
	await sleep(EXPIRY_MS + 100);
	assert.equal((t.app as any).channels, []);
	// Bob signs in on the socket Alice left: he gets what the login handler gives, not her rooms.
	await authenticate(socket, { strategy: "local", email: "bob@example.com", password: PASSWORD });
	assert.equal((t.app as any).channels, ["authenticated"]);
	await sleep(EXPIRY_MS + 100);
	const login = await authenticate(socket, { strategy: "local", email: "bob@example.com", password: PASSWORD });
	(t.app as any).channel("bob-only").join(serverConnection());
	await sleep(EXPIRY_MS + 100);
	await authenticate(socket, { strategy: "refresh", refreshToken: login.refreshToken });
	assert.equal((t.app as any).channels.sort(), ["authenticated", "bob-only"]);
});

test("logout over the socket revokes the session and leaves the channels", async () => {
	const socket = await connect();
	const login = await authenticate(socket, { strategy: "local", email: "alice@example.com", password: PASSWORD });
	const logout = await send(socket, "remove", "authentication", null, {});
	assert.is(logout.error, null);
	assert.is(serverConnection().authentication, undefined);
	const missed = nextEvent(socket, 300);
	await publishMessage("after logout");
	assert.is(await missed, null);
	const refused = await send(socket, "create", "authentication", { strategy: "refresh", refreshToken: login.refreshToken });
	assert.is(refused.error.code, 401);
	assert.equal(refused.error.data, { code: "ERR_TOKEN_REVOKED" });
});

test("for contrast: Feathers' own JWTStrategy closes the socket when the access token expires", async () => {
	await t.close();
	t = await startTestApp({ tokens: h.service, clock: h.clock, jwtStrategy: new JWTStrategy() });
	const socket = await connect();
	const closed = new Promise<string>((resolve) => socket.once("disconnect", resolve));
	const login = await authenticate(socket, { strategy: "local", email: "alice@example.com", password: PASSWORD });
	// Feathers' timer reads Date.now(): the token's exp (on the tests' fixed clock) is long past.
	assert.ok(login.authentication.payload.exp * 1000 < Date.now());
	assert.is(await closed, "io server disconnect");
});

test.run();
