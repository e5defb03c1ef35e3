// app.configure(refreshKitClient(options)): @feathersjs/authentication-client set up with
// refresh-kit's AuthenticationClient.
import { defaults, hooks } from "@feathersjs/authentication-client";
import type { Application } from "@feathersjs/feathers";
import { RefreshKitAuthenticationClient } from "./client.js";
import type { RefreshKitClientOptions } from "./options.js";

/**
 * `@feathersjs/authentication-client` configured with {@link RefreshKitAuthenticationClient}:
 * `app.configure(refreshKitClient(options))` in place of `app.configure(authentication(options))`.
 * Configure the transport (Socket.io or REST) first.
 *
 * @example
 * ```ts
 * app.configure(rest("https://api.example.com").fetch(window.fetch.bind(window)));
 * app.configure(refreshKitClient({ storage: window.localStorage, refreshMargin: 60 }));
 * ```
 */
export function refreshKitClient(options: Partial<RefreshKitClientOptions> = {}): (app: Application) => void {
	// What @feathersjs/authentication-client's default export does with `Authentication` set,
	// written out: its default export differs between the ESM and CJS builds of this package.
	const settings = { ...defaults, ...options } as RefreshKitClientOptions;
	return function configureRefreshKitClient(app: Application): void {
		const client = new RefreshKitAuthenticationClient(app, settings);
		app.authentication = client;
		app.authenticate = client.authenticate.bind(client);
		app.reAuthenticate = client.reAuthenticate.bind(client);
		app.logout = client.logout.bind(client);
		app.hooks([hooks.authentication(), hooks.populateHeader()]);
	};
}
