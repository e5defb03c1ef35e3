// The tutorial's app: Koa REST + Socket.io, a users service with the local strategy, a messages
// service only signed-in users reach, and a channel every signed-in connection joins.
import { authenticate } from "@feathersjs/authentication";
import { hooks as local } from "@feathersjs/authentication-local";
import { BadRequest, FeathersError } from "@feathersjs/errors";
import { feathers, type HookContext, type Params } from "@feathersjs/feathers";
import { type Application, bodyParser, errorHandler, type FeathersKoaContext, koa, rest } from "@feathersjs/koa";
import { MemoryService } from "@feathersjs/memory";
import socketio from "@feathersjs/socketio";
import type { TokenService } from "refresh-kit";
import { authentication } from "./authentication.js";

export const DEMO_USER = { email: "demo@example.com", password: "demo-password" };

export async function createApp(tokens: TokenService): Promise<Application> {
	const app = koa(feathers());
	app.use(errorHandler());
	app.use(clientErrors);
	app.use(bodyParser());
	app.configure(rest());
	app.configure(socketio());

	// Users in memory (signups are lost on restart); their sessions live in the database.
	app.use("users", new MemoryService({ startId: 1 }));
	app.service("users").hooks({
		before: {
			create: [local.hashPassword("password")],
			find: [authenticate("jwt")],
			get: [authenticate("jwt")],
			update: [authenticate("jwt")],
			patch: [authenticate("jwt"), local.hashPassword("password")],
			remove: [authenticate("jwt")],
		},
		after: { all: [local.protect("password")] },
	});
	app.use("messages", new MemoryService({ startId: 1 }));
	app.service("messages").hooks({
		before: {
			all: [authenticate("jwt")],
			create: [stampMessage],
		},
	});
	app.configure(authentication(tokens));

	// Every signed-in connection joins "authenticated"; a refresh on the socket signs in again and
	// keeps it there. Service events go to that channel only.
	app.on("login", (_result: unknown, { connection }: Params & { connection?: object }) => {
		if (connection) app.channel("authenticated").join(connection);
	});
	app.publish(() => app.channel("authenticated"));

	await app.service("users").create(DEMO_USER);
	return app;
}

/** A message is its text, its author and a time; nothing else the client sends. */
async function stampMessage(context: HookContext): Promise<void> {
	const text = String(context.data?.text ?? "").slice(0, 1000);
	context.data = { text, userId: context.params.user?.id, createdAt: new Date().toISOString() };
}

/**
 * Koa's body parser throws plain HTTP errors (a 400 for malformed JSON), which Feathers' error
 * handler would answer as a 500: nothing a client sends may do that.
 */
async function clientErrors(_context: FeathersKoaContext, next: () => Promise<unknown>): Promise<void> {
	try {
		await next();
	} catch (error) {
		const status = (error as { status?: unknown }).status;
		if (!(error instanceof FeathersError) && typeof status === "number" && status >= 400 && status < 500) throw new BadRequest("The request could not be read");
		throw error;
	}
}
