// The browser's auth client: cookie transport, so the refresh token never reaches JavaScript.
import { type AuthClient, createAuthClient } from "refresh-kit/client";

let client: AuthClient | null = null;

/** One client per page (its refresh is single-flight). Call it in the browser only. */
export function authClient(): AuthClient {
	client ??= createAuthClient({ baseUrl: "/auth", transport: "cookie" });
	return client;
}
