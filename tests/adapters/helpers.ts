// Helpers for the adapter suites: real loopback servers on port 0 and a raw HTTP client.
// Not a suite (the runner only picks up *.test.ts).
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, connect } from "node:net";
import * as assert from "uvu/assert";

export interface TestServer {
	url: string;
	origin: string;
	close(): Promise<void>;
}

/** Starts a node:http server on 127.0.0.1 and a free port. */
export async function listen(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
	const server: Server = createServer(listener);
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as AddressInfo;
	const origin = `http://127.0.0.1:${port}`;
	return {
		url: origin,
		origin,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

export interface RawResponse {
	status: number;
	headers: IncomingHttpHeaders;
	text: string;
	/** The Set-Cookie lines (always an array). */
	cookies: string[];
	json(): Record<string, unknown>;
}

export interface RawRequest {
	method?: string;
	headers?: Record<string, string | string[]>;
	/** A string or bytes sent with Content-Length, or a list of chunks sent with chunked encoding. */
	body?: string | Uint8Array | Array<string | Uint8Array> | undefined;
}

/** One HTTP/1.1 request over a fresh connection, with no headers added beyond Host (and the body framing). */
export function send(url: string, options: RawRequest = {}): Promise<RawResponse> {
	return new Promise((resolve, reject) => {
		const target = new URL(url);
		const req = httpRequest({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: options.method ?? "GET", headers: options.headers ?? {}, agent: false }, (res) => {
			const chunks: Buffer[] = [];
			res.on("data", (chunk: Buffer) => chunks.push(chunk));
			res.on("error", reject);
			res.on("end", () => {
				const text = Buffer.concat(chunks).toString("utf8");
				const setCookie = res.headers["set-cookie"];
				resolve({
					status: res.statusCode ?? 0,
					headers: res.headers,
					text,
					cookies: setCookie === undefined ? [] : setCookie,
					json: () => JSON.parse(text) as Record<string, unknown>,
				});
			});
		});
		req.on("error", reject);
		const body = options.body;
		if (Array.isArray(body)) {
			// Node only chunks POST/PUT/PATCH bodies by default; say it for every method.
			req.setHeader("Transfer-Encoding", "chunked");
			for (const chunk of body) req.write(chunk);
			req.end();
		} else if (body !== undefined) {
			req.setHeader("Content-Length", Buffer.byteLength(body));
			req.end(body);
		} else {
			req.end();
		}
	});
}

/**
 * Writes `data` to a fresh connection, leaves it open, and resolves with the first complete
 * HTTP/1.1 response (head and a body as long as its Content-Length) the server sends; rejects
 * when none is complete within `timeoutMs`. For answers that must come before the client has
 * finished sending (a 413 on a declared length), so it never waits for the connection to end.
 */
export function firstAnswer(url: string, data: string, timeoutMs: number): Promise<{ status: number; head: string; body: string; elapsedMs: number }> {
	const target = new URL(url);
	const started = performance.now();
	return new Promise((resolve, reject) => {
		let received = Buffer.alloc(0);
		const socket = connect(Number(target.port), target.hostname, () => void socket.write(data));
		const timer = setTimeout(() => finish(new Error(`no complete answer within ${timeoutMs} ms; got ${JSON.stringify(received.toString("latin1").slice(0, 200))}`)), timeoutMs);
		function finish(error: Error | null, answer?: { status: number; head: string; body: string; elapsedMs: number }): void {
			clearTimeout(timer);
			socket.destroy();
			if (error === null) resolve(answer as { status: number; head: string; body: string; elapsedMs: number });
			else reject(error);
		}
		socket.on("data", (chunk: Buffer) => {
			received = Buffer.concat([received, chunk]);
			const end = received.indexOf("\r\n\r\n");
			if (end === -1) return;
			const head = received.subarray(0, end).toString("latin1");
			const length = /\r\ncontent-length: *(\d+)/i.exec(head);
			if (length === null) return finish(new Error(`an answer without Content-Length: ${head}`));
			const body = received.subarray(end + 4);
			if (body.byteLength < Number(length[1])) return;
			finish(null, { status: Number(head.slice(9, 12)), head, body: body.subarray(0, Number(length[1])).toString("utf8"), elapsedMs: performance.now() - started });
		});
		socket.on("error", (error) => finish(error));
		socket.on("end", () => finish(new Error(`the server closed the connection without a complete answer: ${JSON.stringify(received.toString("latin1").slice(0, 200))}`)));
	});
}

/** POST an x-www-form-urlencoded body. */
export function postForm(url: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<RawResponse> {
	return send(url, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(params).toString() });
}

/** POST a JSON body. */
export function postJSON(url: string, value: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
	return send(url, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(value) });
}

/** Asserts an RFC 6749 §5.2 error response and returns its body. */
export function assertError(response: RawResponse, status: number, error: string): Record<string, unknown> {
	assert.is(response.status, status, `status (body: ${response.text.slice(0, 200)})`);
	assert.match(String(response.headers["content-type"]), /^application\/json/);
	assert.is(response.headers["cache-control"], "no-store");
	const body = response.json();
	assert.is(body.error, error);
	assert.type(body.error_description, "string");
	return body;
}

/** Parses one Set-Cookie line into its name, value and lower-cased attributes. */
export function parseSetCookie(line: string): { name: string; value: string; attributes: Map<string, string> } {
	const [pair, ...rest] = line.split(";").map((part) => part.trim());
	const equals = (pair as string).indexOf("=");
	const attributes = new Map<string, string>();
	for (const attribute of rest) {
		const at = attribute.indexOf("=");
		attributes.set((at === -1 ? attribute : attribute.slice(0, at)).toLowerCase(), at === -1 ? "" : attribute.slice(at + 1));
	}
	return { name: (pair as string).slice(0, equals), value: (pair as string).slice(equals + 1), attributes };
}

/**
 * The line of `lines` that sets cookie `name` (not one that deletes it: a token response also
 * deletes the cookie's stale variants on other paths and domains, before setting it).
 */
export function settingLine(lines: readonly string[], name: string): ReturnType<typeof parseSetCookie> | undefined {
	return lines.map(parseSetCookie).find((parsed) => parsed.name === name && parsed.value !== "" && parsed.attributes.get("max-age") !== "0");
}

/** `name=value` of the cookie that `lines` sets, for a Cookie header. */
export function cookiePair(lines: readonly string[], name: string): string {
	const line = settingLine(lines, name);
	if (line === undefined) throw new Error(`no Set-Cookie for ${name} in ${JSON.stringify(lines)}`);
	return `${line.name}=${line.value}`;
}

export const DEMO_USER = { username: "alice", password: "correct horse battery staple" };

/** An `authenticate` for tests: one user, form or JSON, anything else rejected. */
export function testAuthenticate(_request: Request, params: Readonly<Record<string, string>>): { subject: string; claims: Record<string, unknown>; device?: string } | null {
	if (params.username !== DEMO_USER.username || params.password !== DEMO_USER.password) return null;
	return params.device === undefined ? { subject: "user-alice", claims: { role: "admin" } } : { subject: "user-alice", claims: { role: "admin" }, device: params.device };
}
