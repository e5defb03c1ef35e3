// Shared by the model tests (not a suite: the runner only picks up *.test.ts).
import * as assert from "uvu/assert";
import { isTokenError, type TokenErrorCode, type TokenService } from "../../core/index.js";
import type { TokenStore } from "../../core/port.js";
import { hex } from "../helpers.js";

/** How long a verifier accepts a token past `exp` (the service's default clockTolerance). */
export const TOLERANCE = 5;

/** The sooner of two instants (ms), null meaning never. */
export function sooner(a: number | null, b: number | null): number | null {
	if (a === null) return b;
	if (b === null) return a;
	return Math.min(a, b);
}

/** The value of `run`, or the code of the TokenError it threw; anything else fails the test. */
export async function settled<T>(run: () => Promise<T>): Promise<T | TokenErrorCode> {
	try {
		return await run();
	} catch (error) {
		if (!isTokenError(error)) throw new Error(`not a TokenError: ${String(error)}`, { cause: error });
		return error.code;
	}
}

/** `service.verify` of an access token at `at` (ms) agrees with its `exp` and the tolerance. */
export async function assertVerify(service: TokenService, access: { token: string; exp: number }, at: number, where: string): Promise<void> {
	const result = await settled(() => service.verify(access.token).then(() => null));
	assert.is(result, Math.floor(at / 1000) < access.exp + TOLERANCE ? null : "ERR_ACCESS_TOKEN_EXPIRED", `${where}: verify`);
}

/** `service.listSessions(subject)` lists exactly `expected` (session ids, any order). */
export async function assertListed(service: TokenService, subject: string, expected: string[], where: string): Promise<void> {
	const listed = await service.listSessions(subject);
	assert.equal(listed.map((session) => session.id).sort(), [...expected].sort(), `${where}: listSessions`);
}

/** Wraps a store and records the bytes and strings of every argument of every call. */
export function spyStore(inner: TokenStore, sink: { bytes: string[]; strings: string[] }): TokenStore {
	function collect(value: unknown, depth: number): void {
		if (value instanceof Uint8Array) sink.bytes.push(hex(value) as string);
		else if (typeof value === "string") sink.strings.push(value);
		else if (value instanceof Date || value === null || typeof value !== "object" || depth > 4) return;
		else for (const item of Object.values(value)) collect(item, depth + 1);
	}
	const spied = { guarantees: inner.guarantees } as TokenStore;
	for (const name of Object.keys(inner) as (keyof TokenStore)[]) {
		if (name === "guarantees") continue;
		const method = inner[name] as (...args: unknown[]) => Promise<unknown>;
		(spied as unknown as Record<string, unknown>)[name] = function spy(...args: unknown[]): Promise<unknown> {
			collect(args, 0);
			return method(...args);
		};
	}
	return spied;
}
