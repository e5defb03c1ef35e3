// Helpers for the slow end-to-end suites (tests/examples, tests/browser): packing the library,
// installing the Next.js example in a temporary copy, starting servers by PID, a cookie jar.
// Not a suite: the runners only pick up *.e2e.ts and *.browser.ts.
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const NEXT_EXAMPLE = join(ROOT, "examples/next-app");

/** Milliseconds each named step took, printed at the end of a suite. */
export const timings: Record<string, number> = {};

export async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
	const started = performance.now();
	try {
		return await work();
	} finally {
		timings[name] = Math.round(performance.now() - started);
	}
}

export function formatTimings(): string {
	return Object.entries(timings)
		.map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`)
		.join(", ");
}

/** Runs a command to completion; rejects with its output when it exits non-zero. */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
		let output = "";
		child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
		child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
		child.once("error", reject);
		child.once("close", (code, signal) => {
			if (code === 0) resolve(output);
			else reject(new Error(`${command} ${args.join(" ")} (in ${options.cwd}) exited with ${code ?? signal}:\n${output.slice(-4000)}`));
		});
	});
}

/** The newest modification time (ms) of the files under `paths`. */
function newestChange(paths: string[]): number {
	let newest = 0;
	for (const path of paths) {
		if (!existsSync(path)) continue;
		const stats = statSync(path);
		if (stats.isDirectory()) newest = Math.max(newest, newestChange(readdirSync(path).map((name) => join(path, name))));
		else newest = Math.max(newest, stats.mtimeMs);
	}
	return newest;
}

/** The repo's dist/, when it was built after the last change to any source it is built from. */
function freshDist(): string | null {
	const dist = join(ROOT, "dist");
	if (!existsSync(join(dist, "index.js"))) return null;
	const sources = ["core", "storage", "adapters", "client", "testing", "package.json", "tsup.config.ts", "tsconfig.json"].map((path) => join(ROOT, path));
	const oldestOutput = Math.min(...readdirSync(dist).map((name) => statSync(join(dist, name)).mtimeMs));
	return oldestOutput > newestChange(sources) ? dist : null;
}

/**
 * Packs the library as a user would install it, from a copy in `work/pkg`: the repo's dist/
 * when it is newer than every source (as in CI, right after `npm run build`), else a fresh
 * tsup build into the copy (the repo's dist/ is never touched). `REFRESH_KIT_TARBALL` skips this.
 */
export async function packLibrary(work: string): Promise<string> {
	const given = process.env.REFRESH_KIT_TARBALL;
	if (given !== undefined && given !== "") return given;
	const pkg = join(work, "pkg");
	mkdirSync(pkg, { recursive: true });
	const dist = freshDist();
	if (dist !== null) cpSync(dist, join(pkg, "dist"), { recursive: true });
	else await timed("library build", () => run(process.execPath, [join(ROOT, "node_modules/tsup/dist/cli-default.js"), "--out-dir", join(pkg, "dist")], { cwd: ROOT }));
	for (const entry of ["package.json", "README.md", "LICENSE", "drizzle", "docs"]) {
		if (existsSync(join(ROOT, entry))) cpSync(join(ROOT, entry), join(pkg, entry), { recursive: true });
	}
	const output = await timed("npm pack", () => run("npm", ["pack", "--silent", "--pack-destination", work], { cwd: pkg }));
	const name = output.trim().split("\n").pop() ?? "";
	if (!name.endsWith(".tgz")) throw new Error(`npm pack printed no tarball name:\n${output}`);
	return join(work, name);
}

/** A variant of the Next.js example: another folder name, files of the example left out, files laid over it. */
export interface NextAppVariant {
	/** The folder under `work`. Default `"next-app"`. */
	name?: string;
	/** Top-level entries of examples/next-app not copied (its proxy.ts, its package.json, …). */
	omit?: readonly string[];
	/** A folder whose files are copied over the example's (a fixture with its own package.json and lockfile). */
	overlay?: string;
}

/**
 * Copies the Next.js example to `work/next-app` (without node_modules and build output), or a
 * variant of it, installs it from its committed lockfile, then the library tarball without
 * saving it (so the lockfile never pins a tarball), and runs `next build`. Returns the app directory.
 */
export async function buildNextExample(work: string, tarball: string, env: NodeJS.ProcessEnv, variant: NextAppVariant = {}): Promise<string> {
	const app = join(work, variant.name ?? "next-app");
	const copy = (from: string, omit: readonly string[]): void => {
		const skipped = new Set(["node_modules", ".next", ".data", ...omit]);
		cpSync(from, app, {
			recursive: true,
			filter: (source) => {
				const path = relative(from, source);
				return !skipped.has(path.split("/")[0] ?? "") && !path.endsWith(".tsbuildinfo");
			},
		});
	};
	copy(NEXT_EXAMPLE, variant.omit ?? []);
	if (variant.overlay !== undefined) copy(variant.overlay, []);
	const npm = ["--no-audit", "--no-fund", "--prefer-offline"];
	await timed("npm ci", () => run("npm", ["ci", ...npm], { cwd: app, env }));
	await timed("npm install tarball", () => run("npm", ["install", tarball, "--no-save", ...npm], { cwd: app, env }));
	await timed("next build", () => run(process.execPath, ["node_modules/next/dist/bin/next", "build"], { cwd: app, env }));
	return app;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const address = server.address();
			const port = typeof address === "object" && address !== null ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

/** A server process started by a test, stopped by its PID. */
export interface ServerProcess {
	child: ChildProcess;
	url: string;
	/** Everything it printed so far. */
	log(): string;
	stop(): Promise<void>;
}

/**
 * Starts `node ...args` and waits until `readyPath` answers below 500 (or the process dies).
 * Callers must `stop()` it: SIGTERM to its PID, SIGKILL after 5 s.
 */
export async function startServer(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; port: number; readyPath: string; timeoutMs?: number }): Promise<ServerProcess> {
	const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
	let output = "";
	child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
	child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
	const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
	const url = `http://127.0.0.1:${options.port}`;
	const server: ServerProcess = {
		child,
		url,
		log: () => output,
		async stop(): Promise<void> {
			if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
			process.kill(child.pid, "SIGTERM");
			const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, "SIGKILL"), 5000);
			await exited;
			clearTimeout(timer);
		},
	};
	const deadline = Date.now() + (options.timeoutMs ?? 30_000);
	while (Date.now() < deadline) {
		if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited with ${child.exitCode ?? child.signalCode}:\n${output}`);
		const status = await fetch(url + options.readyPath, { signal: AbortSignal.timeout(2000) }).then(
			(response) => {
				void response.body?.cancel();
				return response.status;
			},
			() => 0,
		);
		if (status > 0 && status < 500) return server;
		await sleep(100);
	}
	await server.stop();
	throw new Error(`server not ready within ${options.timeoutMs ?? 30_000} ms:\n${output}`);
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface StoredCookie {
	name: string;
	value: string;
	path: string;
	/** Epoch ms, or null for a session cookie. */
	expiresAt: number | null;
	attributes: string[];
}

/**
 * A minimal browser-like cookie jar for one origin (RFC 6265 §5.3/§5.4 subset): a cookie is
 * identified by its name and path, as in a browser; honours Path, Max-Age, Expires and deletion,
 * sends the longest path first. Ignores Secure and SameSite, as a browser does for a same-site
 * request to http://127.0.0.1.
 */
export class CookieJar {
	/** Keyed by name and path. */
	readonly cookies = new Map<string, StoredCookie>();

	store(response: Response): void {
		for (const line of response.headers.getSetCookie()) {
			const [pair = "", ...rest] = line.split(";").map((part) => part.trim());
			const equals = pair.indexOf("=");
			const name = pair.slice(0, equals);
			const value = pair.slice(equals + 1);
			let path = "/";
			let expiresAt: number | null = null;
			for (const attribute of rest) {
				const [key = "", raw = ""] = attribute.split("=", 2);
				if (key.toLowerCase() === "path") path = raw;
				if (key.toLowerCase() === "expires" && expiresAt === null) expiresAt = Date.parse(raw);
				if (key.toLowerCase() === "max-age") expiresAt = Date.now() + Number(raw) * 1000;
			}
			if (expiresAt !== null && expiresAt <= Date.now()) this.cookies.delete(`${name};${path}`);
			else this.set({ name, value, path, expiresAt, attributes: rest });
		}
	}

	/** Stores a cookie as given (a copy taken earlier, a forged one). */
	set(cookie: StoredCookie): void {
		this.cookies.set(`${cookie.name};${cookie.path}`, cookie);
	}

	/** The Cookie header a browser would send to `path` now. */
	header(path: string): string {
		const now = Date.now();
		const matching = [...this.cookies.values()]
			.filter((cookie) => cookie.expiresAt === null || cookie.expiresAt > now)
			.filter((cookie) => path === cookie.path || path.startsWith(cookie.path.endsWith("/") ? cookie.path : cookie.path + "/"))
			.sort((a, b) => b.path.length - a.path.length);
		return matching.map((cookie) => `${cookie.name}=${cookie.value}`).join("; ");
	}

	/** The unexpired cookie called `name` with the longest path. */
	get(name: string): StoredCookie | undefined {
		const now = Date.now();
		return [...this.cookies.values()].filter((cookie) => cookie.name === name && (cookie.expiresAt === null || cookie.expiresAt > now)).sort((a, b) => b.path.length - a.path.length)[0];
	}
}
