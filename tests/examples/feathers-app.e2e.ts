// examples/feathers-app end to end: the library packed from this tree, the example installed in
// a temporary copy from its committed lockfile plus the tarball, type-checked against the packed
// types, started as its README says on 127.0.0.1, then driven over real sockets with the
// Feathers client (REST and Socket.io) and refresh-kit's client for it. `npm run test:examples`.

import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { Application } from "@feathersjs/feathers";
import type { Socket } from "socket.io-client";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { RefreshKitClientOptions } from "../../adapters/feathers/client/index.js";
import { authClient, nextEvent, restClient as restClientFor, socketClient as socketClientFor } from "../feathers/clients.js";
import { formatTimings, freePort, packLibrary, ROOT, run, type ServerProcess, sleep, startServer, timed, timings } from "./support.js";

const EXAMPLE = join(ROOT, "examples/feathers-app");
const ACCESS_TOKEN_TTL = 2;
const REUSE_GRACE = 1;
// The service's default clockTolerance: over REST a JWT is still accepted this long past its exp.
const CLOCK_TOLERANCE = 5;
const DEMO = { strategy: "local", email: "demo@example.com", password: "demo-password" };

const started = performance.now();
const work = mkdtempSync(join(tmpdir(), "refresh-kit-feathers-e2e-"));
const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: "false", ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL), REUSE_GRACE: `${REUSE_GRACE}s` };
for (const name of ["DATABASE_URL", "AUTH_KEYS", "REFRESH_SECRET", "REFRESH_MODE", "NODE_ENV", "PORT"]) delete env[name];

let server: ServerProcess | null = null;
const sockets: Socket[] = [];

test.after(async () => {
	for (const socket of sockets) socket.disconnect();
	await server?.stop();
	if (process.env.KEEP_E2E_DIR === undefined) rmSync(work, { recursive: true, force: true });
	timings.total = Math.round(performance.now() - started);
	console.log(`\n  feathers-app e2e timings: ${formatTimings()}`);
});

function origin(): string {
	if (server === null) throw new Error("the Feathers app did not start");
	return server.url;
}

function restClient(): Application {
	return restClientFor(origin());
}

function socketClient(options: Partial<RefreshKitClientOptions> = {}): Promise<{ app: Application; socket: Socket }> {
	return socketClientFor(origin(), sockets, options);
}

const client = authClient;

/** POST /authentication as any HTTP client sends it. */
async function authenticate(body: unknown): Promise<{ status: number; body: Record<string, any> }> {
	const response = await fetch(`${origin()}/authentication`, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
	return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function getMessages(accessToken: string): Promise<{ status: number; body: Record<string, any> }> {
	const response = await fetch(`${origin()}/messages`, { headers: { authorization: `Bearer ${accessToken}` } });
	return { status: response.status, body: (await response.json()) as Record<string, any> };
}

function nextMessage(app: Application, ms = 2000): Promise<Record<string, unknown> | null> {
	return nextEvent(app.service("messages"), "created", ms);
}

test("packs the library, installs the example from its lockfile plus the tarball, type-checks it, starts it with npm start's command", async () => {
	const tarball = await packLibrary(work);
	const app = join(work, "feathers-app");
	cpSync(EXAMPLE, app, { recursive: true, filter: (source) => !["node_modules", ".data"].includes(relative(EXAMPLE, source).split("/")[0] ?? "") });
	const npm = ["--no-audit", "--no-fund", "--prefer-offline"];
	await timed("npm ci", () => run("npm", ["ci", ...npm], { cwd: app, env }));
	await timed("npm install tarball", () => run("npm", ["install", tarball, "--no-save", ...npm], { cwd: app, env }));
	await timed("tsc", () => run("npm", ["run", "-s", "typecheck"], { cwd: app, env }));
	for (const file of ["package.json", "package-lock.json"]) {
		assert.is(readFileSync(join(app, file), "utf8"), readFileSync(join(EXAMPLE, file), "utf8"), `${file} changed by the install`);
	}
	const manifest = JSON.parse(readFileSync(join(app, "package.json"), "utf8")) as { scripts: Record<string, string> };
	assert.is(manifest.scripts.start, "node --import tsx src/index.ts", "the test starts what npm start runs");
	const port = await freePort();
	server = await timed("start", () => startServer(["--import", "tsx", "src/index.ts"], { cwd: app, env: { ...env, PORT: String(port) }, port, readyPath: "/messages", timeoutMs: 60_000 }));
});

test("REST: login -> protected service -> the access token expires -> the refresh strategy -> protected service again", async () => {
	const app = restClient();
	const login = await app.authenticate(DEMO);
	assert.match(login.refreshToken, /^rk2_/);
	assert.equal(login.user, { email: "demo@example.com", id: 1 });
	const created = await app.service("messages").create({ text: "hello" });
	assert.is(created.userId, 1);
	await sleep((ACCESS_TOKEN_TTL + CLOCK_TOLERANCE) * 1000 + 500);
	const expired = await getMessages(login.accessToken);
	assert.is(expired.status, 401);
	assert.equal(expired.body.data, { code: "ERR_ACCESS_TOKEN_EXPIRED" });
	const messages = await app.service("messages").find();
	assert.ok(messages.some((message: { text: string }) => message.text === "hello"));
	const refreshToken = await client(app).getRefreshToken();
	assert.is.not(refreshToken, login.refreshToken, "the client refreshed and stored the rotated token");
	const accessToken = (await client(app).getAccessToken()) as string;
	assert.is.not(accessToken, login.accessToken);
	assert.is((await getMessages(accessToken)).status, 200);
	await app.logout();
});

test("two parallel refreshes of one token get the same successor; reuse after the grace window is 401 and ends the session", async () => {
	const login = await authenticate(DEMO);
	const [a, b] = await Promise.all([authenticate({ strategy: "refresh", refreshToken: login.body.refreshToken }), authenticate({ strategy: "refresh", refreshToken: login.body.refreshToken })]);
	assert.is(a.status, 201);
	assert.is(b.status, 201);
	assert.is(a.body.refreshToken, b.body.refreshToken);
	await sleep(REUSE_GRACE * 1000 + 500);
	const reused = await authenticate({ strategy: "refresh", refreshToken: login.body.refreshToken });
	assert.is(reused.status, 401);
	assert.is(reused.body.name, "NotAuthenticated");
	assert.equal(reused.body.data, { code: "ERR_TOKEN_REUSED" });
	const successor = await authenticate({ strategy: "refresh", refreshToken: a.body.refreshToken });
	assert.is(successor.status, 401);
	assert.equal(successor.body.data, { code: "ERR_TOKEN_REVOKED" }, "the session is gone");
});

test("logout (DELETE /authentication) revokes the session: the refresh token is refused afterwards", async () => {
	const app = restClient();
	const login = await app.authenticate(DEMO);
	await app.logout();
	assert.is(await client(app).getRefreshToken(), null);
	const refused = await authenticate({ strategy: "refresh", refreshToken: login.refreshToken });
	assert.is(refused.status, 401);
	assert.equal(refused.body.data, { code: "ERR_TOKEN_REVOKED" });
});

test("Socket.io: a socket whose access token expired re-authenticates with the refresh strategy without reconnecting, channel kept", async () => {
	const { app, socket } = await socketClient({ renewSocket: false });
	let disconnects = 0;
	socket.on("disconnect", () => disconnects++);
	const publisher = restClient();
	await publisher.authenticate(DEMO);
	const login = await app.authenticate(DEMO);
	const first = nextMessage(app);
	await publisher.service("messages").create({ text: "before expiry" });
	assert.is((await first)?.text, "before expiry");
	await sleep(ACCESS_TOKEN_TTL * 1000 + 500); // the server ended the connection's authentication
	const missed = nextMessage(app, 500);
	await publisher.service("messages").create({ text: "while expired" });
	assert.is(await missed, null, "no events for an expired connection");
	const id = socket.id;
	// The client knows the token expired: it refreshes over the same socket, then makes the call.
	const messages = await app.service("messages").find();
	assert.ok(messages.length >= 2);
	assert.is.not(await client(app).getRefreshToken(), login.refreshToken);
	assert.is(socket.id, id);
	const after = nextMessage(app);
	await publisher.service("messages").create({ text: "after the refresh" });
	assert.is((await after)?.text, "after the refresh");
	assert.is(disconnects, 0, "the socket never disconnected");
});

test("Socket.io: with renewal on, an idle socket stays authenticated and subscribed across several token lifetimes", async () => {
	const { app, socket } = await socketClient();
	const publisher = restClient();
	await publisher.authenticate(DEMO);
	const login = await app.authenticate(DEMO);
	await sleep(ACCESS_TOKEN_TTL * 2000 + 500);
	assert.is.not(await client(app).getRefreshToken(), login.refreshToken, "renewed before expiry");
	const event = nextMessage(app);
	await publisher.service("messages").create({ text: "idle but subscribed" });
	assert.is((await event)?.text, "idle but subscribed");
	assert.ok(socket.connected);
	await app.logout();
	const missed = nextMessage(app, 500);
	await publisher.service("messages").create({ text: "after logout" });
	assert.is(await missed, null, "logout leaves the channel");
});

test("nothing a client sends is a 5xx: malformed JSON, odd bodies, odd refresh tokens; the server logged no error", async () => {
	for (const body of ["{bad", '"refresh"', "[]", JSON.stringify({ strategy: "refresh", refreshToken: { $gt: "" } }), JSON.stringify({ strategy: "refresh", refreshToken: "rk2_x" })]) {
		const answer = await authenticate(body);
		assert.ok(answer.status >= 400 && answer.status < 500, `${body} -> ${answer.status}`);
	}
	assert.not.match(server?.log() ?? "", /Error|error:/, "the server logged no error");
});

test.run();
