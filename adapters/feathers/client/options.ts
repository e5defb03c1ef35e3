// The options of the Feathers client, on top of @feathersjs/authentication-client's own.
import type { AuthenticationClient, AuthenticationClientOptions } from "@feathersjs/authentication-client";
import type { Clock } from "../../../core/clock.js";

/** What the authentication service answers: Feathers' result plus `refreshToken`. */
export type RefreshKitAuthenticationResult = Awaited<ReturnType<AuthenticationClient["authenticate"]>>;

/** The options of {@link RefreshKitAuthenticationClient}, on top of Feathers' own. */
export interface RefreshKitClientOptions extends AuthenticationClientOptions {
	/** The storage key of the refresh token (in Feathers' `storage`, next to `storageKey`). Default `"feathers-refresh-token"`. */
	refreshStorageKey: string;
	/** The name the server registered the refresh strategy under. Default `"refresh"`. */
	refreshStrategy: string;
	/** Refresh when the access token has fewer than this many seconds left (at most half its lifetime). Default 30. */
	refreshMargin: number;
	/**
	 * On a Socket.io app, refresh `refreshMargin` seconds before the access token expires even
	 * when no call is made, so the connection never loses its authentication or its channels.
	 * This keeps the session alive while the socket is open. Default true; REST apps ignore it.
	 */
	renewSocket: boolean;
	/** This client's clock. Default: the system clock. */
	clock: Clock;
}
