// refresh-kit behind its Node adapter, as an app would run it: createNodeHandler over a
// service on the Drizzle store (openStore: postgres.js, prepared statements) or the memory store.
// HS256 access tokens by default (the same algorithm as the tutorial's and the oidc-provider
// peer's); ALG=ES256 or EdDSA signs with a key pair made by generateSigningKeys.
// Login takes `username` and issues for it (device "bench"); it is not measured.
//
// env: DATABASE_URL (postgres://…, or "memory"), MODE (rotate | reuse), ALG (HS256 | ES256 | EdDSA),
// POOL (default 10), BATCH (a drizzleStore batch window in ms, or "off"), PORT
import { createServer } from "node:http";
import { createNodeHandler } from "../../adapters/node/index.js";
import { createTokenService, generateSigningKeys } from "../../core/index.js";
import { openStore } from "../../storage/drizzle/index.js";
import { memoryStore } from "../../storage/memory/index.js";
import { BENCH_REFRESH_SECRET, BENCH_SIGNING_SECRET } from "../lib/secrets.js";
import { batchOption, listen } from "./listen.js";

export const BENCH_SECRET = BENCH_SIGNING_SECRET;

const url = process.env.DATABASE_URL ?? "memory";
const mode = process.env.MODE === "reuse" ? "reuse" : "rotate";
const batch = batchOption(process.env.BATCH);
const opened = url === "memory" ? null : await openStore(url, { maxConnections: Number(process.env.POOL ?? 10), batch });
const alg = process.env.ALG ?? "HS256";
if (!["HS256", "ES256", "EdDSA"].includes(alg)) throw new Error(`ALG must be HS256, ES256 or EdDSA, got ${alg}`);
const service = createTokenService({
	store: opened ?? memoryStore(),
	keys: alg === "HS256" ? { secret: BENCH_SECRET } : await generateSigningKeys(alg as "ES256" | "EdDSA"),
	issuer: "https://auth.bench.test",
	audience: "https://api.bench.test",
	refresh: { mode, secret: BENCH_REFRESH_SECRET },
});

const auth = createNodeHandler(service, {
	basePath: "/auth",
	authenticate: (_request, params) => (typeof params.username === "string" && params.username !== "" ? { subject: params.username, device: "bench" } : null),
	onError: (event) => {
		if (event.status >= 500) process.stderr.write(`refresh-kit bench server: ${event.status} ${event.reason} ${String(event.cause)}\n`);
	},
});

const server = createServer((req, res) => void auth(req, res));
listen(server, async () => opened?.close());
