// Diagnostic: the same service as servers/refresh-kit.ts called straight from node:http, with
// no fetch adapter in between (no Request/Response/ReadableStream per call). The difference
// to the adapter server is what the Node adapter + fetch hub cost per refresh.
//
// env: DATABASE_URL (postgres://…, or "memory"), MODE (rotate | reuse), POOL (default 10), BATCH (ms, or "off"), PORT
import { createServer, type ServerResponse } from "node:http";
import { createTokenService, isTokenError, type TokenSet } from "../../core/index.js";
import { openStore } from "../../storage/drizzle/index.js";
import { memoryStore } from "../../storage/memory/index.js";
import { BENCH_REFRESH_SECRET, BENCH_SIGNING_SECRET } from "../lib/secrets.js";
import { batchOption, listen, readBody } from "./listen.js";

const url = process.env.DATABASE_URL ?? "memory";
const opened = url === "memory" ? null : await openStore(url, { maxConnections: Number(process.env.POOL ?? 10), batch: batchOption(process.env.BATCH) });
const service = createTokenService({
	store: opened ?? memoryStore(),
	keys: { secret: BENCH_SIGNING_SECRET },
	issuer: "https://auth.bench.test",
	audience: "https://api.bench.test",
	refresh: { mode: process.env.MODE === "reuse" ? "reuse" : "rotate", secret: BENCH_REFRESH_SECRET },
});

function send(response: ServerResponse, status: number, body: unknown): void {
	const text = JSON.stringify(body);
	response.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store", Pragma: "no-cache" });
	response.end(text);
}

function tokenBody(tokens: TokenSet): unknown {
	return { access_token: tokens.accessToken, token_type: "Bearer", expires_in: tokens.expiresIn, refresh_token: tokens.refreshToken };
}

const server = createServer(function direct(request, response) {
	readBody(request)
		.then(async (body) => {
			const params = new URLSearchParams(body);
			if (request.url === "/auth/login") return send(response, 200, tokenBody(await service.issue({ subject: params.get("username") ?? "", device: "bench" })));
			if (request.url === "/auth/token" && params.get("grant_type") === "refresh_token") return send(response, 200, tokenBody(await service.exchange(params.get("refresh_token") ?? "")));
			send(response, 404, { error: "not_found" });
		})
		.catch((error: unknown) => send(response, isTokenError(error) ? 400 : 500, { error: isTokenError(error) ? "invalid_grant" : "server_error" }));
});

listen(server, async () => opened?.close());
