// A TCP proxy (loopback) in front of PostgreSQL whose behaviour a test switches: pass traffic, refuse new
// connections, or drop every connection as soon as the server answers on it (the statement
// ran, and committed if it was a write, but the client never hears back), or black-hole
// everything (a network partition: connections open, nothing arrives either way).
import { connect, createServer, type Server, type Socket } from "node:net";

export type ProxyMode = "pass" | "refuse" | "swallow-responses" | "blackhole";

export class ToggleProxy {
	mode: ProxyMode = "pass";
	/** Connections dropped because an answer arrived in swallow mode: statements whose answer was lost. */
	swallowed = 0;
	readonly #pairs = new Set<[Socket, Socket]>();
	readonly #server: Server;

	constructor(private readonly targetPort: number) {
		this.#server = createServer((client) => this.#accept(client));
	}

	listen(): Promise<number> {
		return new Promise((resolve) => this.#server.listen(0, "127.0.0.1", () => resolve((this.#server.address() as { port: number }).port)));
	}

	dropAll(): void {
		for (const [client, upstream] of this.#pairs) {
			client.destroy();
			upstream.destroy();
		}
		this.#pairs.clear();
	}

	close(): Promise<void> {
		this.dropAll();
		return new Promise((resolve) => this.#server.close(() => resolve()));
	}

	#accept(client: Socket): void {
		if (this.mode === "refuse") {
			client.destroy();
			return;
		}
		const upstream = connect(this.targetPort, "127.0.0.1");
		const pair: [Socket, Socket] = [client, upstream];
		this.#pairs.add(pair);
		const drop = (): void => {
			client.destroy();
			upstream.destroy();
			this.#pairs.delete(pair);
		};
		client.on("data", (chunk) => {
			if (this.mode === "pass") upstream.write(chunk);
			else if (this.mode === "swallow-responses") upstream.write(chunk);
		});
		upstream.on("data", (chunk) => {
			if (this.mode === "swallow-responses") {
				this.swallowed++;
				drop();
			} else if (this.mode === "pass") client.write(chunk);
		});
		client.on("error", drop).on("close", drop);
		upstream.on("error", drop).on("close", drop);
	}
}
