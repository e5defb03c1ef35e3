// The `refresh` authentication strategy: `{ strategy: "refresh", refreshToken }` -> the token
// service's exchange -> a new access token, the rotated refresh token and the entity.
import { type AuthenticationBase, AuthenticationBaseStrategy, type AuthenticationParams, type AuthenticationRequest, type AuthenticationResult } from "@feathersjs/authentication";
import { NotAuthenticated } from "@feathersjs/errors";
import type { Params } from "@feathersjs/feathers";
import type { TokenService } from "../../core/types.js";
import { feathersErrorFor, feathersErrors } from "./errors.js";
import { EXCHANGE_PARAM, type RefreshKitAuthenticationService, tokenResult } from "./service.js";

/** The authentication service as the strategies need it (duck-typed: two copies of the package still work together). */
export function tokenServiceOf(authentication: AuthenticationBase | undefined, strategy: string): TokenService {
	const tokens = (authentication as Partial<RefreshKitAuthenticationService> | undefined)?.tokens;
	if (tokens === undefined || typeof tokens.exchange !== "function") {
		throw new Error(`The '${strategy}' strategy needs a RefreshKitAuthenticationService (refresh-kit/adapters/feathers) as its authentication service`);
	}
	return tokens;
}

/**
 * The `refresh` strategy: exchanges `{ strategy: "refresh", refreshToken }` with the token
 * service and answers `{ accessToken, refreshToken, authentication: { strategy, accessToken,
 * payload }, user }`: a new refresh token in rotate mode, the same one in reuse mode. The
 * entity is loaded by the token's `sub`, as the `jwt` strategy loads it.
 *
 * Only {@link RefreshKitAuthenticationService.create} (`POST /authentication`, or `create` over
 * a socket) may exchange a refresh token: listed in an `authenticate()` hook of another service
 * it refuses every request, so a refresh token never works as an access credential.
 *
 * Failures are `NotAuthenticated` (401) with `data.code`: `ERR_TOKEN_REUSED` (the session is
 * revoked), `ERR_TOKEN_EXPIRED`, `ERR_TOKEN_REVOKED`, `ERR_TOKEN_UNKNOWN`,
 * `ERR_TOKEN_MALFORMED`; `Unavailable` (503, `ERR_STORE_UNAVAILABLE`): retry with the same token.
 *
 * @example
 * ```ts
 * authentication.register("refresh", new RefreshStrategy());
 * // settings: authStrategies: ["jwt", "local", "refresh"]
 * // client:   await app.service("authentication").create({ strategy: "refresh", refreshToken });
 * ```
 */
export class RefreshStrategy extends AuthenticationBaseStrategy {
	// biome-ignore lint/suspicious/noExplicitAny: AuthenticationBaseStrategy declares `configuration` as any; an override must keep that type.
	override get configuration(): any {
		const settings: { service?: string; entity?: string | null; entityId?: string } = this.authentication?.configuration ?? {};
		return { service: settings.service, entity: settings.entity, entityId: settings.entityId, ...super.configuration };
	}

	verifyConfiguration(): void {
		tokenServiceOf(this.authentication, this.name ?? "refresh");
	}

	async authenticate(authentication: AuthenticationRequest, params: AuthenticationParams): Promise<AuthenticationResult> {
		// RFC 9700 §4.14: a refresh token is presented to the token endpoint only.
		if ((params as { [EXCHANGE_PARAM]?: unknown })[EXCHANGE_PARAM] !== true) throw new NotAuthenticated("The refresh strategy is accepted by the authentication service only");
		const { refreshToken } = authentication;
		if (typeof refreshToken !== "string" || refreshToken === "") throw feathersErrorFor("ERR_TOKEN_MALFORMED");
		const name = this.name ?? "refresh";
		const tokens = tokenServiceOf(this.authentication, name);
		const set = await feathersErrors(() => tokens.exchange(refreshToken));
		const result = tokenResult(set, { authentication: { strategy: name } });
		const { entity } = this.configuration;
		if (!entity) return result;
		const { [EXCHANGE_PARAM]: _exchange, ...entityParams } = params as AuthenticationParams & { [EXCHANGE_PARAM]?: unknown };
		const { sub, sid } = result.authentication.payload as { sub: string; sid: string };
		try {
			return { ...result, [entity]: await this.getEntity(sub, entityParams) };
		} catch (error) {
			if ((error as { code?: unknown }).code !== 404) throw error;
			// The user is gone, and so is their session: the new refresh token must not outlive them.
			await tokens.revokeSession(sid).catch(() => undefined);
			throw feathersErrorFor("ERR_TOKEN_REVOKED");
		}
	}

	/** Query params for loading the entity, as `JWTStrategy.getEntityQuery`. */
	async getEntityQuery(_params: Params): Promise<Record<string, unknown>> {
		return {};
	}

	/**
	 * The entity of `id`, loaded as the `jwt` strategy loads it: once internally, then for an
	 * external call again with `provider`, so that the entity service's hooks and resolvers
	 * (hiding the password, say) shape what the client receives.
	 */
	async getEntity(id: string, params: Params): Promise<unknown> {
		const entityService = this.entityService;
		const { entity } = this.configuration;
		if (entityService === null) throw new NotAuthenticated("Could not find entity service");
		const query = await this.getEntityQuery(params);
		const { provider, ...internal } = params;
		const result = await entityService.get(id, { ...internal, query });
		if (!provider) return result;
		return entityService.get(id, { ...params, [entity]: result });
	}
}
