// Authentication: Feathers' conventions (a service at /authentication, strategies registered by
// name and listed in authStrategies), with refresh-kit issuing, rotating and revoking the tokens.
import { LocalStrategy } from "@feathersjs/authentication-local";
import type { Application } from "@feathersjs/feathers";
import { createTokenService, type Duration, type TokenService, type TokenStore } from "refresh-kit";
import { RefreshKitAuthenticationService, RefreshKitJWTStrategy, RefreshStrategy } from "refresh-kit/adapters/feathers";
import { refreshSecret, signingKeys } from "./secrets.js";

/** "15m", "10s" or a number of seconds, from the environment. */
function duration(value: string | undefined, fallback: Duration): Duration {
	if (value === undefined || value === "") return fallback;
	return (/^\d+$/.test(value) ? Number(value) : value) as Duration;
}

/** The refresh-kit token service: sessions in `store`, RFC 9068 access tokens. */
export async function createTokens(store: TokenStore): Promise<TokenService> {
	return createTokenService({
		store,
		keys: await signingKeys(),
		issuer: process.env.ISSUER ?? "refresh-kit-feathers-example",
		audience: "refresh-kit-feathers-example",
		accessTokenTtl: duration(process.env.ACCESS_TOKEN_TTL, "15m"),
		refresh: {
			secret: await refreshSecret(),
			// REFRESH_MODE=reuse: the tutorial's behaviour (one long-lived token per user and device), done safely.
			mode: process.env.REFRESH_MODE === "reuse" ? "reuse" : "rotate",
			reuseGrace: duration(process.env.REUSE_GRACE, "10s"),
		},
		onEvent: (event) => console.log(`[session] ${event.type} user=${event.subject} session=${event.sessionId.slice(0, 8)}…`),
	});
}

export function authentication(tokens: TokenService) {
	return function configureAuthentication(app: Application): void {
		app.set("authentication", {
			entity: "user",
			service: "users",
			authStrategies: ["jwt", "local", "refresh"],
			local: { usernameField: "email", passwordField: "password" },
		});
		const service = new RefreshKitAuthenticationService(app, tokens);
		service.register("jwt", new RefreshKitJWTStrategy());
		service.register("local", new LocalStrategy());
		service.register("refresh", new RefreshStrategy());
		app.use("authentication", service);
	};
}
