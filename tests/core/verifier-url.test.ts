// createVerifier({ jwksUrl }): keys fetched over plain http could come from anyone on the path,
// so only https: is accepted, and http: only for a loopback host (issue 11).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createVerifier, isTokenError } from "../../core/index.js";

const settings = { issuer: "https://auth.test", audience: "https://api.test" };

function refused(jwksUrl: string | URL): boolean {
	try {
		createVerifier({ ...settings, jwksUrl });
		return false;
	} catch (error) {
		if (!isTokenError(error, "ERR_CONFIG_INVALID")) throw error;
		return true;
	}
}

test("https: is accepted anywhere; http: only for localhost, 127.0.0.0/8 and [::1]", () => {
	const accepted = [
		"https://auth.example.com/auth/jwks",
		"https://10.0.0.5:8443/jwks",
		"http://localhost:3000/auth/jwks",
		"http://LOCALHOST/auth/jwks",
		"http://127.0.0.1:4000/auth/jwks",
		"http://127.255.3.9/jwks",
		"http://127.1/jwks",
		"http://[::1]:3000/auth/jwks",
		"http://[0:0:0:0:0:0:0:1]/jwks",
		new URL("http://127.0.0.1/jwks"),
	];
	for (const url of accepted) assert.not.ok(refused(url), String(url));
});

test("plain http: to any other host, and other schemes, are ERR_CONFIG_INVALID", () => {
	const rejected = [
		"http://auth.example.com/auth/jwks",
		"http://10.0.0.5/jwks",
		"http://128.0.0.1/jwks",
		"http://127.0.0.1.nip.io/jwks",
		"http://localhost.example.com/jwks",
		"http://[::ffff:127.0.0.1]/jwks",
		"http://[::2]/jwks",
		"http://0.0.0.0/jwks",
		"ftp://auth.example.com/jwks",
		"file:///etc/jwks.json",
		new URL("http://auth.example.com/jwks"),
	];
	for (const url of rejected) assert.ok(refused(url), String(url));
});

test.run();
