// Section 6b: bytes per session held by the memory store. Run with --expose-gc.
//
// Sessions are inserted with store.createSession, built in the shape the service's issue()
// builds them (core/context.ts newSession: UUID, separate 32-byte hash arrays, dates, no
// claims), because the access tokens issue() would sign add run time and no bytes to the store
// (bench/README.md, "known costs"); hashes come from random 32-byte arrays (the store treats
// them as opaque bytes; each is its own Uint8Array, as core's SHA-256 returns them).
// A calibration issues `calibrate` sessions through service.issue() to show the two agree.
// Then every session is rotated once (previous hash + sealed successor filled in), the steady
// state of a rotating store.
//
// usage: node --expose-gc --import tsx bench/memory-store.ts '{"sessions":1000000,"calibrate":20000}'
import { getRandomValues, randomUUID } from "node:crypto";
import { createTokenService } from "../core/index.js";
import { memoryStore } from "../storage/memory/index.js";
import { BENCH_REFRESH_SECRET, BENCH_SIGNING_SECRET } from "./lib/secrets.js";

const spec = { sessions: 1_000_000, calibrate: 20_000, ...(JSON.parse(process.argv[2] ?? "{}") as Partial<{ sessions: number; calibrate: number }>) };
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

function used(): number {
	for (let i = 0; i < 3; i++) gc?.();
	const memory = process.memoryUsage();
	if (process.env.MEMDEBUG) process.stderr.write(JSON.stringify(memory) + "\n");
	return memory.heapUsed + memory.external;
}

// Random bytes come from a pool and are copied in with set(), which keeps each 32-byte array's
// data on the V8 heap, as core's hashes (pure-JS SHA-256 output) are; getRandomValues on each
// array would move its data off-heap and skew the figure.
const pool = getRandomValues(new Uint8Array(65_536));
let poolOffset = 0;
function random32(): Uint8Array {
	if (poolOffset + 32 > pool.length) {
		getRandomValues(pool);
		poolOffset = 0;
	}
	const bytes = new Uint8Array(32);
	bytes.set(pool.subarray(poolOffset, poolOffset + 32));
	poolOffset += 32;
	return bytes;
}

function copy(bytes: Uint8Array): Uint8Array {
	const out = new Uint8Array(bytes.length);
	out.set(bytes);
	return out;
}

const DAY = 86_400_000;

// Calibration through the public API.
let calibration = Number.NaN;
if (spec.calibrate > 0) {
	const store = memoryStore();
	const service = createTokenService({ store, keys: { secret: BENCH_SIGNING_SECRET }, refresh: { secret: BENCH_REFRESH_SECRET }, issuer: "https://a.test", audience: "https://b.test" });
	(globalThis as { keep?: unknown }).keep = store;
	await service.issue({ subject: "warm" });
	const before = used();
	for (let i = 0; i < spec.calibrate; i++) await service.issue({ subject: `user-${i}` });
	calibration = (used() - before) / spec.calibrate;
	(globalThis as { keep?: unknown }).keep = null;
}

// What the bench keeps to rotate later (token hashes, ids) is allocated before the baseline;
// the store gets its own copies.
const tokenHashes: Uint8Array[] = Array.from({ length: spec.sessions }, random32);
const ids: string[] = Array.from({ length: spec.sessions }, () => "");
const subjects: string[] = Array.from({ length: spec.sessions }, (_, i) => `user-${i}`);
const store = memoryStore();
// Held in a global so the collector cannot free them once the code stops using them (V8 frees
// dead locals of the module body, which would empty the very store being measured).
(globalThis as { keep?: unknown }).keep = { store, tokenHashes, ids, subjects };
const start = new Date();
const before = used();
const t0 = performance.now();
for (let i = 0; i < spec.sessions; i++) {
	const id = randomUUID();
	ids[i] = id;
	await store.createSession({
		id,
		subject: subjects[i] as string,
		device: null,
		claims: null,
		mode: "rotate",
		familyHash: random32(),
		tokenHash: copy(tokenHashes[i] as Uint8Array),
		previousHash: null,
		sealedSuccessor: null,
		rotatedAt: null,
		generation: 0,
		createdAt: start,
		lastUsedAt: start,
		expiresAt: new Date(start.getTime() + 30 * DAY),
		absoluteExpiresAt: new Date(start.getTime() + 90 * DAY),
		revokedAt: null,
	});
}
const afterInsert = used();
const insertSeconds = (performance.now() - t0) / 1000;

const at = new Date(start.getTime() + 1000);
const idle = new Date(at.getTime() + 30 * DAY);
for (let i = 0; i < spec.sessions; i++) {
	const result = await store.rotateToken({
		sessionId: ids[i] as string,
		presentedHash: tokenHashes[i] as Uint8Array,
		successorHash: random32(),
		sealedSuccessor: random32(),
		now: at,
		idleExpiresAt: idle,
	});
	if (!result.rotated) throw new Error("rotation failed");
}
const afterRotate = used();

process.stdout.write(
	`RESULT ${JSON.stringify({
		sessions: spec.sessions,
		bytesPerSessionFresh: (afterInsert - before) / spec.sessions,
		bytesPerSessionRotated: (afterRotate - before) / spec.sessions,
		calibrationBytesPerSession: calibration,
		calibrationSessions: spec.calibrate,
		insertSeconds,
	})}\n`,
);
