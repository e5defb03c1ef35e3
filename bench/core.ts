// Sections 1 and 2, in one process: the core's exchange and verify rates on the memory store,
// against the floor measured in the same process and the same run.
//
// - floor: the crypto an exchange must do, with the fastest primitives Node offers: the HS256
//   access token as one node:crypto HMAC-SHA256 over the JWS signing input (header cached,
//   payload JSON + base64url, as the core does), three HMAC-SHA256 (the presented and the
//   successor token hash, the successor seal) and 48 CSPRNG bytes (successor secret + jti);
// - exchange: `service.exchange(token)`, chained, rotate mode, memory store;
// - jose: `jwtVerify(token, cryptoKey, options)` with the service's exact verify options;
// - verify: `service.verify(token)`.
// Every op runs with `concurrency` calls in flight (WebCrypto work goes to the thread pool).
// Order is rotated per run so drift hits every op alike.
//
// usage: node --import tsx bench/core.ts '{"runs":5,"ms":1500,"concurrency":32,"only":null}'
// prints RESULT <json>
import { createHash, createHmac, getRandomValues } from "node:crypto";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { type CryptoKey, jwtVerify } from "jose";
import { createTokenService } from "../core/index.js";
import { memoryStore } from "../storage/memory/index.js";
import { BENCH_REFRESH_SECRET, BENCH_SIGNING_SECRET } from "./lib/secrets.js";

export interface CoreSpec {
	runs: number;
	ms: number;
	concurrency: number;
	/** Run only this op (for --cpu-prof). */
	only: string | null;
	/** Also run the verify ablation ops. */
	ablation: boolean;
	/** Write a CPU profile of the measured runs (not startup) to this file. */
	profile: string | null;
}

export interface CoreResult {
	ops: Record<string, number[]>;
	/** Process CPU (all threads, incl. WebCrypto's thread pool) per operation, µs, per run. */
	cpu: Record<string, number[]>;
	/** Operations completed during the measured runs, per op (to express profiles per operation). */
	totals: Record<string, number>;
	micro: Record<string, number>;
}

const spec: CoreSpec = { runs: 5, ms: 1500, concurrency: 32, only: null, ablation: false, profile: null, ...(JSON.parse(process.argv[2] ?? "{}") as Partial<CoreSpec>) };

export const SECRET = BENCH_SIGNING_SECRET;
export const ISSUER = "https://auth.bench.test";
export const AUDIENCE = "https://api.bench.test";

const service = createTokenService({
	store: memoryStore(),
	keys: { secret: SECRET },
	issuer: ISSUER,
	audience: AUDIENCE,
	refresh: { mode: "rotate", secret: BENCH_REFRESH_SECRET },
});

// The same key the service signs with, imported the same way (core/keys.ts).
const cryptoKey = (await crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"])) as CryptoKey;
const secretBytes = new TextEncoder().encode(SECRET);
const first = await service.issue({ subject: "bench-user" });
const kid = JSON.parse(Buffer.from(first.accessToken.split(".")[0] as string, "base64url").toString()).kid as string;
const verifyOptions = {
	algorithms: ["HS256"],
	typ: "at+jwt",
	issuer: ISSUER,
	audience: AUDIENCE,
	clockTolerance: 5,
	requiredClaims: ["sub", "exp", "iat", "jti", "sid"],
};

const sealLabel = Buffer.from("refresh-kit/v2 successor seal");

// The presented secret comes with the request; only the successor and the jti are drawn.
const presented = getRandomValues(new Uint8Array(32));

const floorHeader = Buffer.from(JSON.stringify({ alg: "HS256", kid, typ: "at+jwt" })).toString("base64url");
const floorTokens = { last: "" };

// What an exchange keys since refresh.secret (issue 10): the presented and the successor token
// hash are HMACs under the refresh secret's hash key, the seal pad an HMAC under its seal key.
const hashKey = createHash("sha256").update("floor hash key").digest();
const sealKey = createHash("sha256").update("floor seal key").digest();
const familyProof = getRandomValues(new Uint8Array(16));

async function floorOp(): Promise<void> {
	const successor = new Uint8Array(32);
	getRandomValues(successor);
	const presentedHash = createHmac("sha256", hashKey).update(familyProof).update(presented).digest();
	const successorHash = createHmac("sha256", hashKey).update(familyProof).update(successor).digest();
	createHmac("sha256", sealKey).update(sealLabel).update(presented).update(successorHash).digest();
	void presentedHash;
	const now = Math.floor(Date.now() / 1000);
	const jti = new Uint8Array(16);
	getRandomValues(jti);
	const payload = { iss: ISSUER, sub: "bench-user", aud: AUDIENCE, exp: now + 900, iat: now, jti: encodeBase64urlNoPadding(jti), sid: first.sessionId };
	const input = `${floorHeader}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
	floorTokens.last = `${input}.${createHmac("sha256", secretBytes).update(input).digest("base64url")}`;
}

async function count(op: (slot: number) => Promise<void>, ms: number): Promise<{ ops: number; seconds: number; cpu: number }> {
	let done = 0;
	const deadline = performance.now() + ms;
	const t0 = performance.now();
	const cpu0 = process.cpuUsage();
	async function loop(slot: number): Promise<void> {
		while (performance.now() < deadline) {
			await op(slot);
			done++;
		}
	}
	await Promise.all(Array.from({ length: spec.concurrency }, (_, slot) => loop(slot)));
	const cpu = process.cpuUsage(cpu0);
	return { ops: done, seconds: (performance.now() - t0) / 1000, cpu: cpu.user + cpu.system };
}

async function rate(op: (slot: number) => Promise<void>, ms: number): Promise<number> {
	const { ops: done, seconds } = await count(op, ms);
	return done / seconds;
}

// One chain per slot.
const chains: string[] = [];
const accessTokens: string[] = [];
for (let slot = 0; slot < spec.concurrency; slot++) {
	const set = await service.issue({ subject: `bench-user-${slot}` });
	chains.push(set.refreshToken);
	accessTokens.push(set.accessToken);
}

const ops: Record<string, (slot: number) => Promise<void>> = {
	floor: floorOp,
	exchange: async (slot) => {
		const set = await service.exchange(chains[slot] as string);
		chains[slot] = set.refreshToken;
	},
	jose: async (slot) => {
		await jwtVerify(accessTokens[slot] as string, cryptoKey, verifyOptions);
	},
	verify: async (slot) => {
		await service.verify(accessTokens[slot] as string);
	},
};

// Ablation of what service.verify adds over raw jose, one difference at a time (core/access-token.ts):
// a key-resolving function instead of the CryptoKey, a fresh options object with currentDate
// per call, and the async wrapper with its checks.
const keyByKid = new Map([[kid, cryptoKey]]);
function resolveKey(header: { kid?: string; alg?: string }): CryptoKey {
	const key = typeof header.kid === "string" ? keyByKid.get(header.kid) : undefined;
	if (key === undefined || header.alg !== "HS256") throw new Error("unknown key");
	return key;
}
const ablation: Record<string, (slot: number) => Promise<void>> = {
	"jose+getKey": async (slot) => {
		await jwtVerify(accessTokens[slot] as string, resolveKey, verifyOptions);
	},
	"jose+options": async (slot) => {
		await jwtVerify(accessTokens[slot] as string, cryptoKey, { ...verifyOptions, currentDate: new Date() });
	},
	"jose+wrapper": async (slot) => {
		await wrapped(accessTokens[slot] as string);
	},
};
async function wrapped(token: unknown): Promise<unknown> {
	if (typeof token !== "string" || token.length === 0 || token.length > 16_384) throw new Error("invalid");
	let payload: Awaited<ReturnType<typeof jwtVerify>>["payload"];
	try {
		({ payload } = await jwtVerify(token, cryptoKey, verifyOptions));
	} catch (cause) {
		throw new Error("invalid", { cause });
	}
	if (typeof payload.sub !== "string" || typeof payload.sid !== "string" || typeof payload.jti !== "string") throw new Error("claims");
	return payload;
}
if (spec.ablation) Object.assign(ops, ablation);
else if (spec.only !== null && spec.only in ablation) Object.assign(ops, ablation);

// Sanity: both verifiers accept the tokens, and the floor signs something jose accepts.
await service.verify(accessTokens[0] as string);
await jwtVerify(accessTokens[0] as string, cryptoKey, verifyOptions);
await floorOp();
await jwtVerify(floorTokens.last, cryptoKey, verifyOptions);

const names = spec.only === null ? Object.keys(ops) : [spec.only];
for (const name of names) await rate(ops[name] as (slot: number) => Promise<void>, Math.min(800, spec.ms)); // warmup (JIT)

const results: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
const profiler = spec.profile === null ? null : new Session();
if (profiler !== null) {
	profiler.connect();
	await new Promise<void>((resolve) => profiler.post("Profiler.enable", () => profiler.post("Profiler.start", () => resolve())));
}
// Each run is a series of short slices, every op once per round in a rotating order, so slow
// drift of a shared machine (other processes, thermal) lands on every op alike.
const SLICE_MS = 200;
const totals: Record<string, number> = {};
const cpuPerOp: Record<string, number[]> = {};
for (let run = 0; run < spec.runs; run++) {
	const counts = new Map<string, { ops: number; seconds: number; cpu: number }>(names.map((name) => [name, { ops: 0, seconds: 0, cpu: 0 }]));
	const rounds = Math.max(1, Math.round(spec.ms / SLICE_MS));
	for (let round = 0; round < rounds; round++) {
		for (let k = 0; k < names.length; k++) {
			const name = names[(run + round + k) % names.length] as string;
			const entry = counts.get(name) as { ops: number; seconds: number; cpu: number };
			const slice = await count(ops[name] as (slot: number) => Promise<void>, Math.min(SLICE_MS, spec.ms));
			entry.ops += slice.ops;
			entry.seconds += slice.seconds;
			entry.cpu += slice.cpu;
		}
	}
	for (const [name, entry] of counts) {
		(results[name] as number[]).push(entry.ops / entry.seconds);
		cpuPerOp[name] ??= [];
		cpuPerOp[name].push(entry.cpu / Math.max(1, entry.ops));
		totals[name] = (totals[name] ?? 0) + entry.ops;
	}
}
if (profiler !== null) {
	await new Promise<void>((resolve, reject) =>
		profiler.post("Profiler.stop", (error, result) => {
			if (error !== null) return reject(error);
			writeFileSync(spec.profile as string, JSON.stringify(result.profile));
			resolve();
		}),
	);
}

// Per-primitive costs (one at a time, µs), to explain the floor and the overhead.
function micro(fn: () => void, iterations = 20_000): number {
	for (let i = 0; i < 2000; i++) fn();
	const t0 = performance.now();
	for (let i = 0; i < iterations; i++) fn();
	return ((performance.now() - t0) * 1000) / iterations;
}
async function asyncMicro(fn: () => Promise<unknown>, iterations = 5_000): Promise<number> {
	for (let i = 0; i < 500; i++) await fn();
	const t0 = performance.now();
	for (let i = 0; i < iterations; i++) await fn();
	return ((performance.now() - t0) * 1000) / iterations;
}
// What a fetch-style hub costs per request on Node, before any work: the Node adapter builds a
// Request around a ReadableStream of the body and the hub reads it back; the hub answers with
// a Response that the adapter reads back into bytes and headers.
const formBody = Buffer.from(`grant_type=refresh_token&refresh_token=${first.refreshToken}`);
async function requestRoundTrip(): Promise<void> {
	const headers = new Headers();
	headers.append("host", "127.0.0.1:3000");
	headers.append("content-type", "application/x-www-form-urlencoded");
	headers.append("content-length", String(formBody.length));
	const body = new ReadableStream<Uint8Array>(
		{
			start(controller) {
				controller.enqueue(new Uint8Array(formBody));
				controller.close();
			},
		},
		{ highWaterMark: 0 },
	);
	const request = new Request(new URL("/auth/token", "http://127.0.0.1:3000"), { method: "POST", headers, body, duplex: "half" } as RequestInit);
	const reader = (request.body as ReadableStream<Uint8Array>).getReader();
	while (!(await reader.read()).done);
}
const tokenJson = JSON.stringify({ access_token: first.accessToken, token_type: "Bearer", expires_in: 900, refresh_token: first.refreshToken });
async function responseRoundTrip(): Promise<void> {
	const response = new Response(tokenJson, { status: 200, headers: new Headers({ "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", Pragma: "no-cache" }) });
	new Uint8Array(await response.arrayBuffer());
	const out: Record<string, string> = {};
	response.headers.forEach((value, name) => {
		out[name] = value;
	});
	response.headers.getSetCookie();
}
const bytes32 = new Uint8Array(32);
getRandomValues(bytes32);
const microResults: Record<string, number> =
	spec.only === null
		? {
				"sha256 32 B, node:crypto": micro(() => createHash("sha256").update(bytes32).digest()),
				"sha256 32 B, @oslojs (core)": micro(() => sha256(bytes32)),
				"getRandomValues 32 B": micro(() => getRandomValues(new Uint8Array(32))),
				"fetch Request around a stream body + reading it (Node adapter → hub)": await asyncMicro(requestRoundTrip),
				"fetch Response + arrayBuffer + header copy (hub → Node adapter)": await asyncMicro(responseRoundTrip),
				"JSON.stringify + Buffer.from of the same answer (what plain node:http does)": micro(() =>
					Buffer.from(JSON.stringify({ access_token: first.accessToken, token_type: "Bearer", expires_in: 900, refresh_token: first.refreshToken })),
				),
			}
		: {};

process.stdout.write(`RESULT ${JSON.stringify({ ops: results, cpu: cpuPerOp, totals, micro: microResults } satisfies CoreResult)}\n`);
