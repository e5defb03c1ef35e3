// IncomingMessage as the fetch hub and the access check read it: method, normalized path,
// origin, headers joined the way `Headers` joins them, and the body read up to the limit as it
// arrives.
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { AccessCheckRequest } from "../fetch/access.js";
import type { HeadersLike, HubRequest } from "../fetch/types.js";

// What `new Request()` refuses, so the hub never sees a request /login could not hand to authenticate.
const FORBIDDEN_METHOD = /^(?:CONNECT|TRACE|TRACK)$/i;
const NORMALIZED_METHOD = /^(?:DELETE|GET|HEAD|OPTIONS|POST|PUT)$/i;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Valid and already without surrounding whitespace (what Node's parser hands over), else trimmed and checked again.
const TRIMMED_VALUE = /^(?:[^\0\r\n\t ](?:[^\0\r\n]*[^\0\r\n\t ])?)?$/;
// What `Headers` trims from a value: HTTP whitespace only (not, say, U+00A0 as String#trim does).
const SURROUNDING_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;
const EMPTY = new Uint8Array(0);

/** The hub's view of an IncomingMessage: a class, so a request allocates no closures. */
class NodeRequest implements HubRequest {
	constructor(
		readonly method: string,
		readonly pathname: string,
		readonly origin: string,
		readonly headers: HeaderMap,
		private readonly req: IncomingMessage,
		private readonly url: URL,
		/** What a body parser left in `req.body`, or null to read the stream. */
		private readonly parsed: Uint8Array | null,
	) {}

	async body(limit: number): Promise<Uint8Array | null> {
		if (this.parsed !== null) return this.parsed.byteLength > limit ? null : this.parsed;
		// 'request' fires once the head is parsed; a body that came in the same packet is in the
		// stream's buffer one microtask later.
		await Promise.resolve();
		const declared = this.headers.values["content-length"];
		return readBody(this.req, limit, declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : Number.POSITIVE_INFINITY);
	}

	toRequest(body: Uint8Array): Request {
		return new Request(this.url, { method: "POST", headers: this.headers.values, body: body.byteLength > 0 ? new Uint8Array(body) : null });
	}
}

class HeaderMap implements HeadersLike {
	constructor(readonly values: Record<string, string>) {}

	get(name: string): string | null {
		return this.values[name] ?? null;
	}
}

/** Null when the request could not be expressed as a fetch Request (a TRACE, a header fetch refuses). */
export function toHubRequest(req: IncomingMessage, target: string): HubRequest | null {
	let method = req.method ?? "GET";
	if (FORBIDDEN_METHOD.test(method)) return null;
	if (NORMALIZED_METHOD.test(method)) method = method.toUpperCase();
	const url = requestURL(req, target);
	const headers = headerMap(req.rawHeaders);
	if (url === null || headers === null) return null;
	// An earlier middleware (express.json(), express.urlencoded()) already read the body.
	const parsed = method === "GET" || method === "HEAD" ? EMPTY : req.readableEnded ? alreadyParsedBody(req, headers) : null;
	return new NodeRequest(method, url.pathname, url.origin, new HeaderMap(headers), req, url, parsed);
}

/**
 * What the access check reads: the method, the origin the request was sent to, and the
 * headers as `Headers` would show them (two Authorization headers are joined, not one of
 * them dropped as `req.headers` does), so the Node and fetch adapters decide alike.
 */
export function toAccessCheckRequest(req: IncomingMessage): AccessCheckRequest {
	const host = hostURL(req);
	return { method: req.method ?? null, origin: host.username === "" && host.password === "" ? host.origin : null, headers: new RawHeaders(req.rawHeaders) };
}

let lastHost: { key: string; url: URL } = { key: "", url: new URL("http://localhost") };

/** The scheme and Host of a request as a URL; an unusable Host counts as localhost. */
function hostURL(req: IncomingMessage): URL {
	const base = `${(req.socket as TLSSocket).encrypted === true ? "https" : "http"}://`;
	const key = base + (req.headers.host ?? "");
	// One Host per server, usually: parse it once.
	if (lastHost.key !== key) lastHost = { key, url: new URL(URL.canParse(key) ? key : base + "localhost") };
	return lastHost.url;
}

function requestURL(req: IncomingMessage, target: string): URL | null {
	const host = hostURL(req);
	try {
		// An origin-form target is a path even when it starts with "//" (RFC 9112 §3.2.1); as a
		// relative URL, "//evil.example/auth/token" would name another host, and with it the
		// origin the cookie-mode check compares Origin with.
		const relative = target.startsWith("/");
		const url = relative ? new URL(host.origin + target) : new URL(target, host);
		// new Request() refuses credentials in the URL.
		const named = relative ? host : url;
		return named.username === "" && named.password === "" ? url : null;
	} catch {
		return null;
	}
}

/** Lower-case names; repeated headers joined as `Headers` joins them. */
function headerMap(raw: string[]): Record<string, string> | null {
	const headers = Object.create(null) as Record<string, string>;
	for (let i = 0; i + 1 < raw.length; i += 2) {
		const name = (raw[i] as string).toLowerCase();
		let value = raw[i + 1] as string;
		if (name.startsWith(":")) continue;
		if (!TRIMMED_VALUE.test(value)) {
			value = value.replace(SURROUNDING_WHITESPACE, "");
			if (/[\0\r\n]/.test(value)) return null;
		}
		if (!HEADER_NAME.test(name)) return null;
		headers[name] = joinHeader(name, headers[name], value);
	}
	return headers;
}

function joinHeader(name: string, previous: string | undefined, value: string): string {
	// HTTP/2 may split the Cookie header; its parts join with "; ", not ", ".
	return previous === undefined ? value : previous + (name === "cookie" ? "; " : ", ") + value;
}

/** Headers looked up in `rawHeaders` when asked for, without building a map. */
class RawHeaders implements HeadersLike {
	constructor(private readonly raw: string[]) {}

	get(name: string): string | null {
		const wanted = name.toLowerCase();
		let value: string | undefined;
		for (let i = 0; i + 1 < this.raw.length; i += 2) {
			if ((this.raw[i] as string).toLowerCase() === wanted) value = joinHeader(wanted, value, (this.raw[i + 1] as string).replace(SURROUNDING_WHITESPACE, ""));
		}
		return value ?? null;
	}
}

/** At most `limit` bytes of the body, or null; the rest is left to discardUnreadBody. */
function readBody(req: IncomingMessage, limit: number, declaredLength: number): Promise<Uint8Array | null> {
	if (req.readableEnded) return Promise.resolve(EMPTY);
	if (req.complete || req.readableLength >= declaredLength) {
		// The whole body sits in the stream's buffer already (a small request): take it at once.
		const bytes = (req.read() as Buffer | null) ?? EMPTY;
		return Promise.resolve(bytes.byteLength > limit ? null : bytes);
	}
	if (req.destroyed) return Promise.reject(new Error("request aborted"));
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let total = 0;
		function settle(): void {
			req.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
		}
		function onData(chunk: Buffer): void {
			total += chunk.byteLength;
			if (total <= limit) return void chunks.push(chunk);
			settle();
			req.pause();
			resolve(null);
		}
		function onEnd(): void {
			settle();
			resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total));
		}
		function onError(error: Error): void {
			settle();
			reject(error);
		}
		function onClose(): void {
			if (!req.complete) onError(new Error("request aborted"));
		}
		req.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
	});
}

/** Re-encodes what a body parser left in `req.body` as JSON; the hub's parser then applies its usual rules. */
function alreadyParsedBody(req: IncomingMessage, headers: Record<string, string>): Uint8Array {
	const parsed = (req as { body?: unknown }).body;
	if (parsed === undefined || parsed === null) return EMPTY;
	delete headers["content-length"];
	if (typeof parsed === "string") return Buffer.from(parsed);
	if (parsed instanceof Uint8Array) return parsed;
	headers["content-type"] = "application/json";
	const json = JSON.stringify(parsed) as string | undefined;
	return json === undefined ? EMPTY : Buffer.from(json);
}
