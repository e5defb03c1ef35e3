import { SignJWT } from "jose";
import { hmac } from "@oslojs/crypto/hmac";
import { SHA256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
const secret = new Uint8Array(32).fill(7);
const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
const payload = { iss: "https://auth.example.com", sub: "user-123", aud: "https://api.example.com", exp: 1800000000, iat: 1799999100, jti: "abcdefghijklmnopqrstuv", sid: "0b6f6f0e-1c1a-4a53-9d21-3f6d0f0a0b0c", client_id: "x" };
const enc = new TextEncoder();
async function viaJose() { return new SignJWT(payload).setProtectedHeader({ alg: "HS256", typ: "at+jwt" }).sign(key); }
async function viaSubtle() {
	const input = encodeBase64urlNoPadding(enc.encode('{"alg":"HS256","typ":"at+jwt"}')) + "." + encodeBase64urlNoPadding(enc.encode(JSON.stringify(payload)));
	const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(input)));
	return input + "." + encodeBase64urlNoPadding(sig);
}
async function viaOslo() {
	const input = encodeBase64urlNoPadding(enc.encode('{"alg":"HS256","typ":"at+jwt"}')) + "." + encodeBase64urlNoPadding(enc.encode(JSON.stringify(payload)));
	return input + "." + encodeBase64urlNoPadding(hmac(SHA256, secret, enc.encode(input)));
}
for (const [name, fn] of [["jose", viaJose], ["subtle", viaSubtle], ["oslo", viaOslo], ["jose", viaJose], ["subtle", viaSubtle], ["oslo", viaOslo]] as const) {
	const n = 20000; const inflight = 32;
	let i = 0;
	const c0 = process.cpuUsage(); const t0 = performance.now();
	await Promise.all(Array.from({ length: inflight }, async () => { while (i++ < n) await fn(); }));
	const c = process.cpuUsage(c0); const t = performance.now() - t0;
	console.log(name, "wall µs/op", (t * 1000 / n).toFixed(1), "cpu µs/op", ((c.user + c.system) / n).toFixed(1));
}
console.log((await viaOslo()) === (await viaJose()));
