// Shared by the model tests (not a suite: the runner only picks up *.test.ts).
import type { TokenStore } from "../../storage/port.js";
import { hex } from "../helpers.js";

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
