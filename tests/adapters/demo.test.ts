// The demo (`npm start`) from a fresh checkout: no .data/ yet, PGlite not booted. It must
// serve /auth/jwks within 10 s, serve its page, and create its signing keys privately; its
// /healthz says "starting" (503) exactly until the store is open, then "ready" (200).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { send } from "./helpers.js";

const SERVER = fileURLToPath(new URL("../../examples/node-server/server.ts", import.meta.url));
let child: ChildProcess | null = null;
let demoURL = "";
const cwd = mkdtempSync(join(tmpdir(), "refresh-kit-demo-"));

test.after(() => {
	child?.kill("SIGKILL");
	rmSync(cwd, { recursive: true, force: true });
});

function waitForURL(process: ChildProcess): Promise<string> {
	return new Promise((resolve, reject) => {
		let output = "";
		const timer = setTimeout(() => reject(new Error(`no startup line within 10 s:\n${output}`)), 10_000);
		process.stdout?.on("data", (chunk: Buffer) => {
			output += chunk.toString();
			const match = /demo on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
			if (match !== null) {
				clearTimeout(timer);
				resolve(match[1] as string);
			}
		});
		process.once("exit", (code) => reject(new Error(`demo exited with ${code}:\n${output}`)));
	});
}

test("fresh start: /auth/jwks within 10 s, the page, keys stored with mode 0600", async () => {
	const started = Date.now();
	const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0", HOST: "127.0.0.1" };
	delete env.DATABASE_URL;
	delete env.AUTH_KEYS;
	child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), SERVER], { cwd, env, stdio: ["ignore", "pipe", "inherit"] });
	const url = await waitForURL(child);
	demoURL = url;
	const jwks = await send(`${url}/auth/jwks`);
	const elapsed = Date.now() - started;
	assert.is(jwks.status, 200);
	const keys = (jwks.json() as { keys: Array<Record<string, unknown>> }).keys;
	assert.is(keys.length, 1);
	assert.is(keys[0]?.alg, "EdDSA");
	assert.is(keys[0]?.d, undefined);
	assert.ok(elapsed < 10_000, `jwks after ${elapsed} ms`);
	const page = await send(`${url}/`);
	assert.is(page.status, 200);
	assert.match(String(page.headers["content-type"]), /^text\/html/);
	assert.match(String(page.headers["content-security-policy"]), /script-src 'self'/);
	assert.is((await send(`${url}/app.js`)).status, 200);
	assert.is(statSync(join(cwd, ".data/demo-keys.json")).mode & 0o777, 0o600);
	const me = await send(`${url}/api/me`);
	assert.is(me.status, 401);
	assert.is(me.headers["www-authenticate"], 'Bearer realm="api"');
});

test("/healthz: 503 'starting' only while the store opens, then 200 'ready' (within 60 s), and a 200 means logins work", async () => {
	assert.ok(child !== null, "the demo was not started");
	const url = demoURL;
	const deadline = Date.now() + 60_000;
	let health = await send(`${url}/healthz`);
	const seen: string[] = [];
	while (health.status !== 200 && Date.now() < deadline) {
		assert.is(health.status, 503, health.text);
		assert.equal(health.json(), { store: "starting" });
		seen.push("starting");
		await new Promise((resolve) => setTimeout(resolve, 100));
		health = await send(`${url}/healthz`);
	}
	assert.is(health.status, 200, `the store was not ready after 60 s (${seen.length} polls said starting)`);
	assert.equal(health.json(), { store: "ready" });
	// Ready means ready: a login right away goes through the store (cookie mode: same origin).
	const login = await send(`${url}/auth/login`, {
		method: "POST",
		headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: url },
		body: "username=demo&password=demo-password",
	});
	assert.is(login.status, 200, login.text);
	const access = String(login.json().access_token);
	const me = await send(`${url}/api/me`, { headers: { Authorization: `Bearer ${access}` } });
	assert.is(me.status, 200);
	assert.is(me.json().subject, "demo");
	assert.is((await send(`${url}/healthz`)).status, 200, "ready stays ready");
});

test("/healthz never says ready while the database does not answer (a server that accepts and stays silent)", async () => {
	const silent = createServer(() => undefined); // accepts every connection, never answers
	await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
	const stalledCwd = mkdtempSync(join(tmpdir(), "refresh-kit-demo-stalled-"));
	const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0", HOST: "127.0.0.1", DATABASE_URL: `postgres://demo:demo@127.0.0.1:${(silent.address() as AddressInfo).port}/demo` };
	delete env.AUTH_KEYS;
	const stalled = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), SERVER], { cwd: stalledCwd, env, stdio: ["ignore", "pipe", "inherit"] });
	try {
		const url = await waitForURL(stalled);
		for (let poll = 0; poll < 5; poll++) {
			const health = await send(`${url}/healthz`);
			assert.is(health.status, 503, health.text);
			assert.equal(health.json(), { store: "starting" });
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
	} finally {
		stalled.kill("SIGKILL");
		silent.close();
		rmSync(stalledCwd, { recursive: true, force: true });
	}
});

test.run();
