// An in-process Feathers v5 app for the adapter's tests: Koa REST + Socket.io on a real
// loopback port, a memory `users` service with the local strategy, a `messages` service behind
// authenticate('jwt'), the `authenticated` channel joined on login. Not a suite.

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type AuthenticationResult, authenticate, type JWTStrategy } from "@feathersjs/authentication";
import { LocalStrategy, hooks as localHooks } from "@feathersjs/authentication-local";
import { type Application, feathers, type Params } from "@feathersjs/feathers";
import { bodyParser, errorHandler, koa, rest } from "@feathersjs/koa";
import { MemoryService } from "@feathersjs/memory";
import socketio from "@feathersjs/socketio";
import { RefreshKitAuthenticationService, RefreshKitJWTStrategy, RefreshStrategy } from "../../adapters/feathers/index.js";
import type { Clock, TokenService } from "../../core/index.js";

export const PASSWORD = "correct horse battery staple";

export interface TestApp {
	app: Application;
	url: string;
	/** The connection objects of the sockets currently connected, as the server sees them. */
	connections: Set<Record<string, unknown>>;
	close(): Promise<void>;
}

export interface TestAppOptions {
	tokens: TokenService;
	clock?: Clock;
	/** The strategy registered as "jwt". Default RefreshKitJWTStrategy. */
	jwtStrategy?: JWTStrategy;
	/** Extra strategies a test wants on the protected service's authenticate() hook. */
	protectWith?: string[];
}

/** Starts the app on 127.0.0.1 and a free port; users `alice` (id 1) and `bob` (id 2) exist. */
export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
	const app = koa(feathers());
	app.set("authentication", {
		entity: "user",
		service: "users",
		authStrategies: ["jwt", "local", "refresh"],
		local: { usernameField: "email", passwordField: "password" },
	});
	app.use(errorHandler());
	app.use(bodyParser());
	app.configure(rest());
	app.configure(socketio());
	const connections = new Set<Record<string, unknown>>();
	app.on("connection", (connection: Record<string, unknown>) => connections.add(connection));
	app.on("disconnect", (connection: Record<string, unknown>) => connections.delete(connection));

	app.use("users", new MemoryService({ id: "id", multi: ["create"] }));
	app.service("users").hooks({
		before: { create: [localHooks.hashPassword("password")] },
		after: { all: [localHooks.protect("password")] },
	});
	app.use("messages", new MemoryService({ id: "id" }));
	app.service("messages").hooks({ before: { all: [authenticate("jwt", ...(options.protectWith ?? []))] } });

	const authentication = new RefreshKitAuthenticationService(app, options.tokens, options.clock === undefined ? {} : { clock: options.clock });
	authentication.register("jwt", options.jwtStrategy ?? new RefreshKitJWTStrategy());
	authentication.register("local", new LocalStrategy());
	authentication.register("refresh", new RefreshStrategy());
	app.use("authentication", authentication);

	app.on("login", (_result: AuthenticationResult, { connection }: Params & { connection?: object }) => {
		if (connection !== undefined) (app as unknown as ChannelApp).channel("authenticated").join(connection);
	});
	(app as unknown as ChannelApp).publish(() => (app as unknown as ChannelApp).channel("authenticated"));

	const server: Server = await app.listen(0, "127.0.0.1");
	await app.service("users").create([
		{ id: 1, email: "alice@example.com", password: PASSWORD },
		{ id: 2, email: "bob@example.com", password: PASSWORD },
	]);
	const { port } = server.address() as AddressInfo;
	return {
		app,
		url: `http://127.0.0.1:${port}`,
		connections,
		close: async () => {
			// fetch keeps connections alive; the server would wait for them to time out.
			server.closeAllConnections();
			await app.teardown();
		},
	};
}

interface ChannelApp {
	channel(name: string): { join(connection: object): unknown; connections: object[] };
	publish(publisher: () => unknown): void;
}
