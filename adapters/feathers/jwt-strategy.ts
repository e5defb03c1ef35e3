// The `jwt` strategy for refresh-kit's access tokens. Verification is the authentication
// service's (the token service's verify); what changes is what happens to a real-time
// connection when its access token expires.
import { type AuthenticationResult, type ConnectionEvent, JWTStrategy } from "@feathersjs/authentication";
import { type Clock, systemClock } from "../../core/clock.js";
import { tokenServiceOf } from "./refresh-strategy.js";

// setTimeout's largest delay (2^31 - 1 ms, about 24.8 days); a longer wait is re-armed.
const MAX_TIMER_DELAY = 2_147_483_647;

interface ChannelApp {
	channels?: string[];
	channel?(names: string[]): { connections: object[]; join(connection: object): unknown; leave(connection: object): unknown };
}

interface Connection {
	[key: string]: unknown;
	authentication?: { strategy?: string; accessToken?: string };
}

/** Channel memberships set aside when a connection's access token expired. */
interface Suspended {
	subject: string;
	channels: string[];
}

/**
 * A drop-in `JWTStrategy` (register it as `"jwt"`) for refresh-kit's access tokens. It verifies
 * through the authentication service (refresh-kit's `verify`) and loads the entity by `sub`
 * exactly as Feathers' strategy does, so `authenticate('jwt')` hooks need no change.
 *
 * The difference is on sockets. When an access token expires, Feathers' strategy emits
 * `disconnect`, and Socket.io closes the connection (feathers #3508, #3252). This one only
 * ends the connection's authentication: service calls are refused until the client
 * authenticates again, and the connection leaves its channels. The socket stays open; a
 * `create({ strategy: "refresh", refreshToken })` on it authenticates it again, and when the
 * same user (`sub`) does so the channels it was in are joined again. A refresh before `exp`
 * (what `RefreshKitAuthenticationClient` does) replaces the timer: nothing lapses at all.
 *
 * @example
 * ```ts
 * authentication.register("jwt", new RefreshKitJWTStrategy());
 * app.service("messages").hooks({ before: { all: [authenticate("jwt")] } }); // unchanged
 * ```
 */
export class RefreshKitJWTStrategy extends JWTStrategy {
	readonly #timers = new WeakMap<object, ReturnType<typeof setTimeout>>();
	readonly #suspended = new WeakMap<object, Suspended>();

	override verifyConfiguration(): void {
		super.verifyConfiguration();
		tokenServiceOf(this.authentication, this.name ?? "jwt");
	}

	override async handleConnection(event: ConnectionEvent, connection: Connection, authResult?: AuthenticationResult): Promise<void> {
		if (event === "login" && authResult?.accessToken) return this.#login(connection, authResult);
		const isLogout = event === "logout" && authResult !== undefined && connection.authentication?.accessToken === authResult.accessToken;
		if (event === "disconnect" || isLogout) {
			clearTimeout(this.#timers.get(connection));
			this.#timers.delete(connection);
			this.#suspended.delete(connection);
		}
		return super.handleConnection(event, connection, authResult);
	}

	async #login(connection: Connection, authResult: AuthenticationResult): Promise<void> {
		const { accessToken } = authResult;
		const payload = authResult.authentication?.payload ?? (await this.authentication?.verifyAccessToken(accessToken));
		const subject = String(payload.sub);
		this.#arm(connection, Number(payload.exp) * 1000, subject);
		const { entity } = this.configuration;
		connection.authentication = { strategy: this.name ?? "jwt", accessToken };
		if (entity) connection[entity] = authResult[entity];
		const suspended = this.#suspended.get(connection);
		this.#suspended.delete(connection);
		const app = this.app as ChannelApp | undefined;
		if (suspended !== undefined && suspended.subject === subject && app?.channel !== undefined) app.channel(suspended.channels).join(connection);
	}

	#arm(connection: Connection, expiresAt: number, subject: string): void {
		clearTimeout(this.#timers.get(connection));
		const wait = Math.max(0, expiresAt - this.#clock().now().getTime());
		const timer = setTimeout(() => (wait > MAX_TIMER_DELAY ? this.#arm(connection, expiresAt, subject) : this.#expire(connection, subject)), Math.min(wait, MAX_TIMER_DELAY));
		// A server shutting down must not wait for the longest-lived token.
		timer.unref?.();
		this.#timers.set(connection, timer);
	}

	/** The access token of `connection` expired: it stays open, unauthenticated and out of its channels. */
	#expire(connection: Connection, subject: string): void {
		this.#timers.delete(connection);
		const app = this.app as ChannelApp | undefined;
		if (app?.channel !== undefined && app.channels !== undefined) {
			const channels = app.channels.filter((name) => app.channel?.([name]).connections.includes(connection));
			if (channels.length > 0) {
				this.#suspended.set(connection, { subject, channels });
				app.channel(channels).leave(connection);
			}
		}
		const { entity } = this.configuration;
		delete connection.authentication;
		if (entity) delete connection[entity];
	}

	#clock(): Clock {
		return (this.authentication as { clock?: Clock } | undefined)?.clock ?? systemClock;
	}
}
