// Tabs of one browser share one refresh cookie: a Web Lock lets one of them refresh at a time, a
// BroadcastChannel hands its new access token to the others. Neither may cost a session: the
// lock is waited for only so long, and a token only ever replaces an older one.

/** `navigator.locks` as the client uses it (the Web Locks API). */
export interface SharedLocks {
	request<T>(name: string, options: { signal?: AbortSignal }, callback: () => Promise<T>): Promise<T>;
}

/**
 * Runs `task` holding the Web Lock `name`, waiting at most `timeoutMs` for it; when the lock is
 * not granted in time (a frozen or crashed tab can hold it forever: Supabase's client once
 * deadlocked exactly so), or cannot be had at all, runs `task` without it. That is safe: a
 * concurrent refresh of the same cookie lands inside the server's grace window and gets the same
 * successor, so the lock only saves a request, it never guards correctness.
 */
export async function withLock<T>(locks: SharedLocks | undefined, name: string, timeoutMs: number, task: () => Promise<T>): Promise<T> {
	if (locks === undefined) return task();
	let granted = false;
	try {
		// The signal only aborts the wait: once the lock is granted it has no effect.
		return await locks.request(name, { signal: AbortSignal.timeout(timeoutMs) }, () => {
			granted = true;
			return task();
		});
	} catch (error) {
		if (granted) throw error;
		return task();
	}
}

/** What one tab tells the others: the access token it received and when, or that it logged out (`token: null`). */
export interface TabMessage {
	token: string | null;
	expiresIn?: number;
	/** Milliseconds on the sender's clock (the same wall clock in every tab of a browser) when the token arrived. */
	receivedAt: number;
}

/** The access token a client holds, with the time it arrived: what orders tokens across tabs. */
export interface HeldToken {
	token: string;
	/** Milliseconds on this client's clock; computed from `expires_in`, so server clock skew does not matter. */
	expiresAt: number;
}

/**
 * Orders what a client holds by the time it arrived, so that a token received later is never
 * overwritten by an older one delivered late (a message that sat in a frozen tab's queue, or the
 * answer to a refresh that started earlier; Clerk added the same guard). A logout counts as an
 * arrival too, so an old token cannot bring a logged-out tab back.
 */
export interface TokenTimeline {
	current(): HeldToken | null;
	/** Takes what this client itself received (a login or refresh answer, or its own logout) at `at`. */
	record(held: HeldToken | null, at: number): void;
	/** Takes another tab's message if it is newer than what is held; returns whether it did. */
	offer(message: TabMessage): boolean;
}

export function createTokenTimeline(): TokenTimeline {
	let held: HeldToken | null = null;
	let latest = Number.NEGATIVE_INFINITY;
	return {
		current: () => held,
		record(next: HeldToken | null, at: number): void {
			held = next;
			latest = Math.max(latest, at);
		},
		offer(message: TabMessage): boolean {
			if (!(message.receivedAt > latest)) return false;
			latest = message.receivedAt;
			held = message.token === null ? null : { token: message.token, expiresAt: message.receivedAt + (message.expiresIn as number) * 1000 };
			return true;
		},
	};
}

/** A message from another tab, or null when it is not one this version understands. */
export function parseTabMessage(data: unknown): TabMessage | null {
	if (typeof data !== "object" || data === null) return null;
	const { token, expiresIn, receivedAt } = data as Record<string, unknown>;
	if (typeof receivedAt !== "number" || !Number.isFinite(receivedAt)) return null;
	if (token === null) return { token: null, receivedAt };
	if (typeof token !== "string" || typeof expiresIn !== "number" || !Number.isFinite(expiresIn)) return null;
	return { token, expiresIn, receivedAt };
}
