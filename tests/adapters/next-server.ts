// A node:http server standing in for `next start` in the adapter suites. Not a suite (the
// runner only picks up *.test.ts).
import type { IncomingMessage, ServerResponse } from "node:http";
import { listen, type TestServer } from "./helpers.js";

/** A route handler as Next.js calls it. */
export type RouteHandler = (request: Request) => Promise<Response>;

/**
 * Hands every request to `route` the way Next.js hands it to a route handler: buffered into a
 * fetch `Request` whose URL is on the server's own address (`http://localhost:PORT`, whatever
 * address the browser used), with the browser's `Host` in `X-Forwarded-Host` and the scheme in
 * `X-Forwarded-Proto`; repeated headers (two `Cookie` lines) appended, as Next keeps them.
 */
export async function listenLikeNext(route: RouteHandler): Promise<TestServer> {
	let port = 0;
	const server = await listen((req, res) => void forward(req, res));
	port = Number(new URL(server.url).port);

	async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const headers = new Headers();
		for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
		headers.set("x-forwarded-host", req.headers.host ?? "");
		headers.set("x-forwarded-proto", "http");
		const method = req.method ?? "GET";
		const body = method === "GET" || method === "HEAD" ? null : Buffer.concat(chunks);
		const response = await route(new Request(`http://localhost:${port}${req.url}`, { method, headers, body }));
		const out: Record<string, string | string[]> = {};
		response.headers.forEach((value, name) => {
			if (name !== "set-cookie") out[name] = value;
		});
		out["set-cookie"] = response.headers.getSetCookie();
		res.writeHead(response.status, out).end(Buffer.from(await response.arrayBuffer()));
	}

	return server;
}
