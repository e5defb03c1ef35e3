// node-oidc-provider's refresh_token grant, as a peer: rotation on (`rotateRefreshToken: true`),
// its default in-memory adapter, RFC 9068 JWT access tokens signed HS256 (the same work as
// refresh-kit's exchange: consume the old refresh token, store a new one, sign one access token).
// No ID token is issued (the scope has no `openid`), again to match refresh-kit's work.
//
// Refresh tokens are obtained headlessly: POST /bench/seed creates a Grant and a RefreshToken
// through the provider's own models, exactly what its authorization_code grant does after an
// interactive login, and answers `{ "refresh_token": … }`. Everything else goes to the provider.
//
// env: PORT (default: free)
import { createSecretKey } from "node:crypto";
import { createServer } from "node:http";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";
import { listen, readBody } from "../servers/listen.js";

const RESOURCE = "https://api.bench.test";
const CLIENT_ID = "bench-client";
const CLIENT_SECRET = "bench-client-secret-bench-client-secret";
const accessTokenKey = createSecretKey(Buffer.from("oidc-bench-access-token-key-at-least-32-bytes"));

const { privateKey } = await generateKeyPair("ES256", { extractable: true });
const signingJwk = { ...(await exportJWK(privateKey)), alg: "ES256", use: "sig", kid: "bench" };

const provider = new Provider("http://127.0.0.1", {
	clients: [
		{
			client_id: CLIENT_ID,
			client_secret: CLIENT_SECRET,
			grant_types: ["authorization_code", "refresh_token"],
			response_types: ["code"],
			redirect_uris: ["https://client.bench.test/cb"],
			token_endpoint_auth_method: "client_secret_post",
			id_token_signed_response_alg: "ES256",
		},
	],
	jwks: { keys: [signingJwk] },
	cookies: { keys: ["bench-cookie-key-bench-cookie-key"] },
	findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id }) }),
	rotateRefreshToken: true,
	ttl: {
		AccessToken: 900,
		RefreshToken: 30 * 24 * 3600,
		Grant: 90 * 24 * 3600,
	},
	features: {
		devInteractions: { enabled: false },
		resourceIndicators: {
			enabled: true,
			defaultResource: () => RESOURCE,
			useGrantedResource: () => true,
			getResourceServerInfo: () => ({
				scope: "api",
				audience: RESOURCE,
				accessTokenTTL: 900,
				accessTokenFormat: "jwt",
				jwt: { sign: { alg: "HS256", key: accessTokenKey } },
			}),
		},
	},
});
provider.on("server_error", (_ctx: unknown, error: Error) => process.stderr.write(`oidc-provider server_error: ${error.stack}\n`));

let seeded = 0;
async function seed(): Promise<string> {
	const accountId = `user-${process.pid}-${seeded++}`;
	const client = await provider.Client.find(CLIENT_ID);
	const grant = new provider.Grant({ accountId, clientId: CLIENT_ID });
	grant.addResourceScope(RESOURCE, "api");
	const grantId: string = await grant.save();
	const refreshToken = new provider.RefreshToken({
		accountId,
		client,
		grantId,
		gty: "authorization_code",
		scope: "api",
		resource: RESOURCE,
		authTime: Math.floor(Date.now() / 1000),
	});
	return refreshToken.save();
}

const callback = provider.callback();
const server = createServer(function oidc(request, response) {
	if (request.method === "POST" && request.url === "/bench/seed") {
		readBody(request)
			.then(seed)
			.then((token) => {
				const body = JSON.stringify({ refresh_token: token });
				response.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
				response.end(body);
			})
			.catch((error: Error) => {
				response.writeHead(500).end(error.message);
			});
		return;
	}
	callback(request, response);
});

listen(server);
