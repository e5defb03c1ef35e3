/**
 * The Feathers client side of refresh-kit's Feathers adapter: an `AuthenticationClient` for
 * `@feathersjs/authentication-client` 5 that keeps the refresh token, refreshes once per app
 * (single flight) before expiry, after a `NotAuthenticated` from an expired token and when a
 * socket reconnects, and keeps a Socket.io connection authenticated. Browser-safe.
 *
 * @example
 * ```ts
 * import { refreshKitClient } from "refresh-kit/adapters/feathers/client";
 *
 * app.configure(socketio(io(url)));
 * app.configure(refreshKitClient({ storage: window.localStorage }));
 * await app.authenticate({ strategy: "local", email, password });
 * ```
 * @module
 */
export { RefreshKitAuthenticationClient } from "./client.js";
export { refreshKitClient } from "./configure.js";
export type { RefreshKitAuthenticationResult, RefreshKitClientOptions } from "./options.js";
