// Every store call goes through here: a failure, or an answer slower than `storeTimeout`,
// becomes ERR_STORE_UNAVAILABLE, never a verdict about the token.
import { TokenError } from "./errors.js";
import type { TokenStoreVerb } from "./port.js";

/** Runs one store call under the timeout. */
export type StoreCaller = <T>(verb: TokenStoreVerb, run: () => Promise<T>) => Promise<T>;

export function createStoreCaller(timeoutMs: number): StoreCaller {
	return function storeCall<T>(verb: TokenStoreVerb, run: () => Promise<T>): Promise<T> {
		return new Promise<T>((resolve, reject) => {
			const timer = setTimeout(() => reject(new TokenError("ERR_STORE_UNAVAILABLE", `token store did not answer ${verb} within ${timeoutMs} ms`)), timeoutMs);
			function fail(cause: unknown): void {
				clearTimeout(timer);
				reject(cause instanceof TokenError && cause.code === "ERR_STORE_UNAVAILABLE" ? cause : new TokenError("ERR_STORE_UNAVAILABLE", `token store failed during ${verb}`, { cause }));
			}
			let pending: Promise<T>;
			try {
				pending = run();
			} catch (cause) {
				return fail(cause);
			}
			pending.then(function settle(value: T): void {
				clearTimeout(timer);
				resolve(value);
			}, fail);
		});
	};
}
