// The load generator: a separate process, one persistent (keep-alive) HTTP/1.1 connection per
// virtual client, each client sending its next request as soon as the previous answer arrives
// (closed loop). Chained: a client sends the refresh token it got back in its previous answer.
//
// It speaks HTTP/1.1 over raw sockets rather than through node:http's client, because client,
// server and PostgreSQL share the machine's cores: every µs the client spends per request is
// taken from the server under test (what node:http's client would cost: bench/README.md, "known
// costs"). Requests are pre-rendered templates; answers are parsed just enough (status,
// Content-Length or chunked, one JSON string field).
//
// usage: node --import tsx bench/loadgen.ts '<json LoadSpec>'
// prints: MEASURE_START / MEASURE_END around the measured window, then RESULT <json>.
import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { Histogram } from "./lib/stats.js";

export interface RequestTemplate {
	method: "GET" | "POST";
	path: string;
	contentType?: string;
	headers?: Record<string, string>;
	/** The body; `{token}` is replaced by the client's current token and `{i}` by its index. */
	body?: string;
}

/** A JSON string field of the body, or a cookie set by the answer (cookie mode). */
export interface TokenSource {
	field?: string;
	cookie?: string;
}

export interface LoadSpec {
	host: string;
	port: number;
	connections: number;
	warmupMs: number;
	durationMs: number;
	/** Makes each client's first token; omitted for token-less workloads (hello world). */
	seed?: RequestTemplate & TokenSource;
	request: RequestTemplate;
	/** Where an answer carries the next token (chaining); absent: the token is kept. */
	next?: TokenSource;
	/** Distinguishes the subjects of this run from earlier ones on the same server. */
	tag: string;
}

export interface LoadResult {
	requests: number;
	errors: number;
	statuses: Record<string, number>;
	seconds: number;
	rps: number;
	histogram: ReturnType<Histogram["toJSON"]>;
	p50: number;
	p90: number;
	p99: number;
	max: number;
	clientCpuSeconds: number;
	firstError?: string;
}

const spec = JSON.parse(process.argv[2] ?? "{}") as LoadSpec;

function fill(text: string, token: string, index: number): string {
	return text.replace("{token}", token).replace("{i}", `${spec.tag}-${index}`);
}

function render(template: RequestTemplate, token: string, index: number): Buffer {
	const body = template.body === undefined ? "" : fill(template.body, token, index);
	let head = `${template.method} ${template.path} HTTP/1.1\r\nHost: ${spec.host}:${spec.port}\r\n`;
	if (template.contentType !== undefined) head += `Content-Type: ${template.contentType}\r\n`;
	for (const [name, value] of Object.entries(template.headers ?? {})) head += `${name}: ${fill(value, token, index)}\r\n`;
	if (template.method !== "GET" || body.length > 0) head += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
	return Buffer.from(head + "\r\n" + body);
}

/** The value of a JSON string field, by search rather than JSON.parse (tokens need no unescaping). */
function field(body: string, name: string): string | null {
	const key = `"${name}":"`;
	const start = body.indexOf(key);
	if (start < 0) return null;
	const end = body.indexOf('"', start + key.length);
	return end < 0 ? null : body.slice(start + key.length, end);
}

function cookie(head: string, name: string): string | null {
	const lower = head.toLowerCase();
	let at = lower.indexOf("\r\nset-cookie:");
	while (at >= 0) {
		const lineEnd = head.indexOf("\r\n", at + 2);
		const line = head.slice(at + 13, lineEnd < 0 ? undefined : lineEnd).trim();
		// A token response deletes the cookie's stale variants (empty values) before setting it.
		if (line.startsWith(`${name}=`)) {
			const value = line.slice(name.length + 1).split(";", 1)[0] as string;
			if (value !== "") return value;
		}
		at = lower.indexOf("\r\nset-cookie:", at + 2);
	}
	return null;
}

function tokenOf(answer: Answer, source: TokenSource): string | null {
	if (source.cookie !== undefined) return cookie(answer.head, source.cookie);
	if (source.field !== undefined) return field(answer.body, source.field);
	return null;
}

interface Answer {
	status: number;
	body: string;
	/** The raw header block (only what the cookie search needs). */
	head: string;
}

/** One keep-alive connection that sends one request at a time and parses one answer. */
class Connection {
	private socket: Socket | null = null;
	private buffer: Buffer | null = null;
	private pending: { resolve: (answer: Answer) => void; reject: (error: Error) => void } | null = null;

	private open(): Promise<Socket> {
		return new Promise((resolve, reject) => {
			const socket = connect({ host: spec.host, port: spec.port, noDelay: true });
			socket.once("connect", () => resolve(socket));
			socket.once("error", reject);
			socket.on("data", (chunk: Buffer) => this.onData(chunk));
			socket.on("close", () => {
				if (this.socket === socket) this.socket = null;
				this.buffer = null;
				this.pending?.reject(new Error("connection closed"));
				this.pending = null;
			});
		});
	}

	async send(request: Buffer): Promise<Answer> {
		if (this.socket === null) {
			this.socket = await this.open();
			this.socket.on("error", () => {
				// surfaced through "close"
			});
		}
		const socket = this.socket;
		return new Promise((resolve, reject) => {
			this.pending = { resolve, reject };
			socket.write(request);
		});
	}

	close(): void {
		this.socket?.destroy();
	}

	private onData(chunk: Buffer): void {
		this.buffer = this.buffer === null ? chunk : Buffer.concat([this.buffer, chunk]);
		const buffer = this.buffer;
		const headerEnd = buffer.indexOf("\r\n\r\n");
		if (headerEnd < 0) return;
		const rawHead = buffer.toString("latin1", 0, headerEnd);
		const head = rawHead.toLowerCase();
		const status = Number.parseInt(head.slice(9, 12), 10);
		const bodyStart = headerEnd + 4;
		let body: string;
		let consumed: number;
		const lengthAt = head.indexOf("\r\ncontent-length:");
		if (lengthAt >= 0) {
			const length = Number.parseInt(head.slice(lengthAt + 17, head.indexOf("\r\n", lengthAt + 2) >>> 0), 10);
			if (buffer.length < bodyStart + length) return;
			body = buffer.toString("utf8", bodyStart, bodyStart + length);
			consumed = bodyStart + length;
		} else if (head.includes("\r\ntransfer-encoding: chunked")) {
			const parts: string[] = [];
			let offset = bodyStart;
			for (;;) {
				const lineEnd = buffer.indexOf("\r\n", offset);
				if (lineEnd < 0) return;
				const size = Number.parseInt(buffer.toString("latin1", offset, lineEnd), 16);
				if (size === 0) {
					// no trailers are expected: the terminating chunk is "0\r\n\r\n"
					if (buffer.length < lineEnd + 4) return;
					consumed = lineEnd + 4;
					break;
				}
				if (buffer.length < lineEnd + 2 + size + 2) return;
				parts.push(buffer.toString("utf8", lineEnd + 2, lineEnd + 2 + size));
				offset = lineEnd + 2 + size + 2;
			}
			body = parts.join("");
		} else {
			body = "";
			consumed = bodyStart;
		}
		this.buffer = consumed < buffer.length ? buffer.subarray(consumed) : null;
		const pending = this.pending;
		this.pending = null;
		pending?.resolve({ status, body, head: rawHead });
		if (head.includes("\r\nconnection: close")) this.close();
	}
}

async function main(): Promise<void> {
	const histogram = new Histogram();
	const statuses: Record<string, number> = {};
	let requests = 0;
	let errors = 0;
	let firstError: string | undefined;
	let measuring = false;
	let stopping = false;

	const chained = spec.next !== undefined;

	async function seed(connection: Connection, index: number): Promise<string> {
		if (spec.seed === undefined) return "";
		for (let attempt = 0; attempt < 5; attempt++) {
			const answer = await connection.send(render(spec.seed, "", index));
			const token = tokenOf(answer, spec.seed);
			if (answer.status >= 200 && answer.status < 300 && token !== null) return token;
			firstError ??= `seed ${answer.status}: ${answer.body.slice(0, 200)}`;
		}
		throw new Error(`could not seed client ${index}: ${firstError}`);
	}

	async function client(index: number, connection: Connection, first: string): Promise<void> {
		let token = first;
		// The request is rendered once per token: the only per-request string work.
		let request = render(spec.request, token, index);
		while (!stopping) {
			const started = performance.now();
			let answer: Answer;
			try {
				answer = await connection.send(request);
			} catch (error) {
				if (measuring) errors++;
				firstError ??= `client ${index}: ${(error as Error).message}`;
				await new Promise((resolve) => setTimeout(resolve, 10));
				continue;
			}
			if (measuring) {
				requests++;
				histogram.record((performance.now() - started) * 1000);
				statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
			}
			if (answer.status < 200 || answer.status >= 300) {
				if (measuring) errors++;
				firstError ??= `${answer.status}: ${answer.body.slice(0, 200)}`;
				token = await seed(connection, index);
				request = render(spec.request, token, index);
				continue;
			}
			if (chained) {
				const next = tokenOf(answer, spec.next as TokenSource);
				if (next !== null && next !== token) {
					token = next;
					request = render(spec.request, token, index);
				}
			}
		}
		connection.close();
	}

	// Seeding (logins) is not measured, and every client must have its token before the start.
	const connections = Array.from({ length: spec.connections }, () => new Connection());
	const tokens = await Promise.all(connections.map((connection, index) => seed(connection, index)));
	const clients = connections.map((connection, index) => client(index, connection, tokens[index] as string));
	await new Promise((resolve) => setTimeout(resolve, spec.warmupMs));
	measuring = true;
	const cpuStart = process.cpuUsage();
	const t0 = performance.now();
	process.stdout.write("MEASURE_START\n");
	// The window ends after durationMs, or earlier when the parent writes STOP (e.g. when the
	// pruner it runs alongside has finished, so the figure covers exactly that period).
	await new Promise<void>((resolve) => {
		const timer = setTimeout(resolve, spec.durationMs);
		process.stdin.setEncoding("utf8");
		process.stdin.on("data", (text: string) => {
			if (text.includes("STOP")) {
				clearTimeout(timer);
				resolve();
			}
		});
	});
	process.stdin.destroy();
	measuring = false;
	const seconds = (performance.now() - t0) / 1000;
	const cpu = process.cpuUsage(cpuStart);
	process.stdout.write("MEASURE_END\n");
	stopping = true;
	await Promise.race([Promise.allSettled(clients), new Promise((resolve) => setTimeout(resolve, 2000))]);
	const result: LoadResult = {
		requests,
		errors,
		statuses,
		seconds,
		rps: requests / seconds,
		histogram: histogram.toJSON(),
		p50: histogram.quantile(0.5),
		p90: histogram.quantile(0.9),
		p99: histogram.quantile(0.99),
		max: histogram.max,
		clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
		...(firstError === undefined ? {} : { firstError }),
	};
	process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
	process.exit(0);
}

main().catch((error: unknown) => {
	process.stderr.write(`loadgen: ${(error as Error).stack ?? String(error)}\n`);
	process.exit(1);
});
