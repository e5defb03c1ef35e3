// Feathers client apps for the tests (REST over fetch, Socket.io), configured with refresh-kit's
// client, and a wait for one event. Shared by tests/feathers and the example's e2e. Not a suite.
import { MemoryStorage } from "@feathersjs/authentication-client";
import { type Application, feathers } from "@feathersjs/feathers";
import rest from "@feathersjs/rest-client";
import socketio from "@feathersjs/socketio-client";
import { io, type ManagerOptions, type Socket } from "socket.io-client";
import { type RefreshKitAuthenticationClient, type RefreshKitClientOptions, refreshKitClient } from "../../adapters/feathers/client/index.js";

export function restClient(url: string, options: Partial<RefreshKitClientOptions> = {}): Application {
	const app = feathers();
	app.configure(rest.default(url).fetch(fetch));
	app.configure(refreshKitClient({ storage: new MemoryStorage(), ...options }));
	return app;
}

/** A Socket.io client app; its socket is added to `opened` for the caller to disconnect. */
export async function socketClient(url: string, opened: Socket[], options: Partial<RefreshKitClientOptions> = {}, socketOptions: Partial<ManagerOptions> = {}): Promise<{ app: Application; socket: Socket }> {
	const socket = io(url, { transports: ["websocket"], forceNew: true, ...socketOptions });
	opened.push(socket);
	await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
	const app = feathers();
	// socket.io-client's ESM Socket type, where the Feathers client names its CJS one: the same class.
	app.configure(socketio.default(socket as unknown as Parameters<typeof socketio.default>[0]));
	app.configure(refreshKitClient({ storage: new MemoryStorage(), ...options }));
	return { app, socket };
}

export function authClient(app: Application): RefreshKitAuthenticationClient {
	return app.authentication as unknown as RefreshKitAuthenticationClient;
}

interface Emitter {
	once(event: string, listener: (data: any) => void): unknown;
	off(event: string, listener: (data: any) => void): unknown;
}

/** The next `event` on `emitter` (a socket, a client service) within `ms`, or null. */
export function nextEvent<T = Record<string, unknown>>(emitter: Emitter, event: string, ms: number): Promise<T | null> {
	return new Promise((resolve) => {
		const timer = setTimeout(() => {
			emitter.off(event, listener);
			resolve(null);
		}, ms);
		function listener(data: T): void {
			clearTimeout(timer);
			resolve(data);
		}
		emitter.once(event, listener);
	});
}
