// refresh-kit/testing used by a store written outside the package: the library packed from this
// tree, a project in a temporary directory that installs ONLY the tarball (and the tarball's own
// dependencies), a plain-JS toy store whose rotateToken is check-then-write, and a node:test file
// that runs the contract against it and against memoryStore(). `node --test` must fail the toy
// store's atomic-rotation case and pass memoryStore. About 10 s with a fresh dist/ (else a build).
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { formatTimings, packLibrary, ROOT, run, timed, timings } from "./support.js";

const FIXTURE = join(ROOT, "tests/examples/testing-package");
const ATOMIC = "toy store: rotateToken race (atomic rotation): 250 parallel calls presenting one hash rotate exactly once";
const started = performance.now();
const work = mkdtempSync(join(tmpdir(), "refresh-kit-testing-e2e-"));
const project = join(work, "project");
const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" };
delete env.NODE_OPTIONS;

// The timings record is shared with the other e2e files of the run: report only this file's.
test.before(() => {
	for (const step of Object.keys(timings)) delete timings[step];
});

test.after(() => {
	if (process.env.KEEP_E2E_DIR === undefined) rmSync(work, { recursive: true, force: true });
	timings.total = Math.round(performance.now() - started);
	console.log(`\n  testing-package e2e timings: ${formatTimings()}`);
});

/** Every package in the project's node_modules, scoped ones as "@scope/name". */
function installedPackages(): string[] {
	const root = join(project, "node_modules");
	const names = readdirSync(root).filter((name) => !name.startsWith("."));
	return names.flatMap((name) => (name.startsWith("@") ? readdirSync(join(root, name)).map((inner) => `${name}/${inner}`) : [name])).sort();
}

/** `name` and everything its installed package.json `dependencies` reach. */
function dependencyClosure(name: string, seen = new Set<string>()): Set<string> {
	if (seen.has(name)) return seen;
	seen.add(name);
	const manifest = JSON.parse(readFileSync(join(project, "node_modules", name, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
	for (const dependency of Object.keys(manifest.dependencies ?? {})) dependencyClosure(dependency, seen);
	return seen;
}

test("a project outside the repo installs only the packed tarball and its dependencies", async () => {
	const tarball = await packLibrary(work);
	mkdirSync(project);
	writeFileSync(join(project, "package.json"), JSON.stringify({ name: "toy-store", private: true, type: "module" }, null, "\t"));
	for (const file of ["toy-store.mjs", "contract.test.mjs"]) copyFileSync(join(FIXTURE, file), join(project, file));
	// From the npm cache alone when it holds the dependencies (the repo's `npm ci` put them there),
	// else from the registry for what is missing.
	const install = (mode: string): Promise<string> => run("npm", ["install", tarball, mode, "--no-audit", "--no-fund"], { cwd: project, env });
	await timed("npm install tarball", () => install("--offline").catch(() => install("--prefer-offline")));
	// Exactly refresh-kit and what its `dependencies` pull in (jose, @oslojs/*): no dev dependency
	// and no optional peer (the database drivers) came along.
	assert.equal(installedPackages(), [...dependencyClosure("refresh-kit")].sort());
	assert.ok(installedPackages().includes("jose"));
});

test("node --test: the toy store fails the atomic-rotation case (and only the races), memoryStore passes", async () => {
	const result = await timed("node --test", async () => spawnSync(process.execPath, ["--test", "--test-reporter=tap", "contract.test.mjs"], { cwd: project, env, encoding: "utf8", timeout: 120_000 }));
	const output = `${result.stdout}${result.stderr}`;
	assert.is(result.status, 1, `node --test must exit 1 (a failing test):\n${output.slice(-3000)}`);
	// Top-level TAP results: "ok N - name" / "not ok N - name" at column 0.
	const outcomes = new Map<string, boolean>();
	for (const match of result.stdout.matchAll(/^(not ok|ok) \d+ - (.*)$/gm)) outcomes.set(match[2] as string, match[1] === "ok");
	const named = (prefix: string): string[] => [...outcomes.keys()].filter((name) => name.startsWith(prefix));
	const failed = [...outcomes].filter(([, ok]) => !ok).map(([name]) => name);

	assert.ok(named("toy store: ").length >= 30, `each contract case is its own test (${named("toy store: ").length} found):\n${result.stdout.slice(0, 2000)}`);
	assert.is(named("memoryStore: ").length, named("toy store: ").length, "the same cases ran against both stores");
	assert.ok(failed.includes(ATOMIC), `the atomic-rotation case failed for the toy store; failed: ${failed.join(" | ")}`);
	assert.equal(failed, [ATOMIC, "toy store: rotateToken race: 250 parallel calls across 10 sessions rotate each exactly once"], "nothing else failed: memoryStore passed every case");
	assert.is(outcomes.get("memoryStore, the whole contract in one test"), true, "the one-promise form passes memoryStore too");
	// The author is told which property broke, not just that a case failed.
	assert.match(output, "exactly one may rotate: the check and the write must be one atomic step");
});

test.run();
