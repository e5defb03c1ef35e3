// The demo (`npm start`) from a fresh checkout: no .data/ yet, PGlite not booted. It must
// serve /auth/jwks within 10 s, serve its page, and create its signing keys privately.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { send } from "./helpers.js";

const SERVER = fileURLToPath(new URL("../../examples/node-server/server.ts", import.meta.url));
let child: ChildProcess | null = null;
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
	const health = await send(`${url}/healthz`);
	assert.ok([200, 503].includes(health.status));
	assert.is(statSync(join(cwd, ".data/demo-keys.json")).mode & 0o777, 0o600);
	const me = await send(`${url}/api/me`);
	assert.is(me.status, 401);
	assert.is(me.headers["www-authenticate"], 'Bearer realm="api"');
});

test.run();
