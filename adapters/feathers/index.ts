/**
 * FeathersJS v5 integration: refresh-kit's sessions behind Feathers' `AuthenticationService`,
 * a `refresh` strategy next to the app's login strategies, and a `jwt` strategy that verifies
 * refresh-kit's RFC 9068 access tokens and keeps sockets open when they expire. The browser
 * and Node client side is `refresh-kit/adapters/feathers/client`. Needs `@feathersjs/authentication`
 * 5 (an optional peer dependency of this subpath only). Guide: docs/feathers.md.
 *
 * @example
 * ```ts
 * import { LocalStrategy } from "@feathersjs/authentication-local";
 * import { RefreshKitAuthenticationService, RefreshKitJWTStrategy, RefreshStrategy } from "refresh-kit/adapters/feathers";
 *
 * const authentication = new RefreshKitAuthenticationService(app, tokens);
 * authentication.register("jwt", new RefreshKitJWTStrategy());
 * authentication.register("local", new LocalStrategy());
 * authentication.register("refresh", new RefreshStrategy());
 * app.use("authentication", authentication); // authStrategies: ["jwt", "local", "refresh"]
 * ```
 * @module
 */

export { feathersErrorFor, toFeathersError } from "./errors.js";
export { RefreshKitJWTStrategy } from "./jwt-strategy.js";
export { RefreshStrategy } from "./refresh-strategy.js";
export type { RefreshKitServiceOptions } from "./service.js";
export { EXCHANGE_PARAM, RefreshKitAuthenticationService } from "./service.js";
