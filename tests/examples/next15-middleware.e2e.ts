// createNextProxy on Next 15: examples/next-app with middleware.ts (Node.js runtime) in place of
// proxy.ts and next 15.5 from the fixture's own lockfile (tests/examples/fixtures/next15-middleware),
// built from the packed library and served with `next start` on 127.0.0.1, then the same proxy
// checks over HTTP as the Next 16 example. `npm run test:examples`.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { checkNextResponseParity, nextEnv, proxyChecks } from "./next-proxy-checks.js";
import { buildNextExample, formatTimings, freePort, packLibrary, ROOT, type ServerProcess, startServer, timed, timings } from "./support.js";

const FIXTURE = join(ROOT, "tests/examples/fixtures/next15-middleware");
const started = performance.now();
const work = mkdtempSync(join(tmpdir(), "refresh-kit-next15-e2e-"));
const env = nextEnv();
let server: ServerProcess | null = null;
let app = "";

test.before(() => {
	for (const step of Object.keys(timings)) delete timings[step];
});

test.after(async () => {
	await server?.stop();
	if (process.env.KEEP_E2E_DIR === undefined) rmSync(work, { recursive: true, force: true });
	timings.total = Math.round(performance.now() - started);
	console.log(`\n  next15-middleware e2e timings: ${formatTimings()}`);
});

function running(): ServerProcess {
	if (server === null) throw new Error("the Next.js 15 server did not start");
	return server;
}

test("builds examples/next-app on Next 15.5 with middleware.ts (runtime nodejs) and starts it", async () => {
	const tarball = await packLibrary(work);
	// The example's app/ and lib/; the fixture's package.json, lockfile, tsconfig, next-env.d.ts and middleware.ts.
	const omit = ["proxy.ts", "package.json", "package-lock.json", "tsconfig.json", "next-env.d.ts", "README.md"];
	app = await buildNextExample(work, tarball, env, { name: "next15-middleware", omit, overlay: FIXTURE });
	assert.not.ok(existsSync(join(app, "proxy.ts")));
	assert.match(readFileSync(join(app, "node_modules/next/package.json"), "utf8"), /"version": "15\.5\./);
	for (const file of ["tsconfig.json", "next-env.d.ts", "package.json", "package-lock.json"]) {
		assert.is(readFileSync(join(app, file), "utf8"), readFileSync(join(FIXTURE, file), "utf8"), `${file} changed by install/build`);
	}
	// Next 15 records Node-runtime middleware in the functions manifest (Edge middleware would be in middleware-manifest.json).
	const functions = JSON.parse(readFileSync(join(app, ".next/server/functions-config-manifest.json"), "utf8")) as { functions: Record<string, { runtime?: string }> };
	assert.is(functions.functions["/_middleware"]?.runtime, "nodejs");
	const port = await freePort();
	server = await timed("next start", () => startServer(["node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1", "-p", String(port)], { cwd: app, env, port, readyPath: "/login" }));
});

test("the proxy's responses are exactly what Next 15's NextResponse.next({ request }) / .next() / .redirect() build", async () => {
	await checkNextResponseParity(app, env, /^15\.5\./);
});

proxyChecks(test, running);

test.run();
