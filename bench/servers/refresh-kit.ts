// refresh-kit behind its Node adapter, as an app would run it: createNodeHandler over a
// service on the Drizzle store (openStore: postgres.js, prepared statements) or the memory store.
// HS256 access tokens (the same algorithm as the tutorial's and the oidc-provider peer's).
// Login takes `username` and issues for it (device "bench"); it is not measured.
//
// env: DATABASE_URL (postgres://…, or "memory"), MODE (rotate | reuse), POOL (default 10), PORT
import { createServer } from "node:http";
import { createNodeHandler } from "../../adapters/node/index.js";
import { createTokenService } from "../../core/index.js";
import { memoryStore } from "../../storage/memory/index.js";
import { openStore } from "../../storage/drizzle/index.js";
import { listen } from "./listen.js";
import { BENCH_REFRESH_SECRET, BENCH_SIGNING_SECRET } from "../lib/secrets.js";

export const BENCH_SECRET = BENCH_SIGNING_SECRET;

const url = process.env.DATABASE_URL ?? "memory";
const mode = process.env.MODE === "reuse" ? "reuse" : "rotate";
const opened = url === "memory" ? null : await openStore(url, { maxConnections: Number(process.env.POOL ?? 10) });
const service = createTokenService({
	store: opened ?? memoryStore(),
	keys: { secret: BENCH_SECRET },
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
