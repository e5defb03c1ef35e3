// Cookie mode: reading the Cookie header and writing the Set-Cookie lines of the hub.

/** RFC 6265 §4.1.1 cookie-name (an HTTP token). */
export const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 6265bis §4.1.3.2 (browsers match the prefix in any case): a `__Host-` cookie is stored only
// host-only (no `Domain`) on `Path=/`, else dropped without a word.
export const HOST_PREFIX = /^__host-/i;
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;
// Browsers cap cookie lifetimes at 400 days; a session without expiry gets the cap.
const MAX_COOKIE_AGE = 400 * 86_400;

export interface CookieAttributes {
	path: string;
	domain: string | undefined;
}

/**
 * The value of the cookie called `name`, or null when there is none, when its value is not a
 * valid cookie value, or when the header carries that name more than once (see
 * {@link countCookies}): a second cookie of our name is a shadowing attempt, never resolved by
 * picking one.
 */
export function readCookie(header: string | null, name: string): string | null {
	const { value, count } = scanCookie(header, name);
	return count === 1 ? value : null;
}

/**
 * How many cookies of exactly this name the Cookie header carries (an HTTP/2 request split
 * over several Cookie headers arrives joined with "; ", so those count too). More than one is a
 * cookie-tossing attack: a sibling subdomain can set `Domain=<parent>; Path=/auth/token` and
 * browsers send the longer path first (RFC 6265 §5.4), so "the first one wins" would refresh,
 * or log out, the attacker's session instead of the victim's.
 */
export function countCookies(header: string | null, name: string): number {
	return scanCookie(header, name).count;
}

/** One pass over the Cookie header: how many cookies of this name it carries, and the first one's value ({@link readCookie} and {@link countCookies} in one). */
export function scanCookie(header: string | null, name: string): { value: string | null; count: number } {
	let value: string | null = null;
	let count = 0;
	if (header === null) return { value, count };
	for (const part of header.split(";")) {
		const equals = part.indexOf("=");
		if (equals === -1 || part.slice(0, equals).trim() !== name) continue;
		count++;
		if (count > 1) continue;
		let raw = part.slice(equals + 1).trim();
		if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) raw = raw.slice(1, -1);
		value = COOKIE_VALUE.test(raw) && raw.length > 0 ? raw : null;
	}
	return { value, count };
}

/** A cookie only the server can read, sent only over HTTPS and only on same-site requests. */
export function setCookie(name: string, value: string, attributes: CookieAttributes, lifetime: { expires: Date | null } | { maxAge: number }): string {
	let line = `${name}=${value}; Path=${attributes.path}`;
	if (attributes.domain !== undefined) line += `; Domain=${attributes.domain}`;
	if ("maxAge" in lifetime) line += `; Max-Age=${Math.max(0, Math.floor(lifetime.maxAge))}`;
	else if (lifetime.expires === null) line += `; Max-Age=${MAX_COOKIE_AGE}`;
	else line += `; Expires=${lifetime.expires.toUTCString()}`;
	return `${line}; HttpOnly; Secure; SameSite=Strict`;
}

export function clearCookie(name: string, attributes: CookieAttributes): string {
	return setCookie(name, "", attributes, { maxAge: 0 }).replace("; Max-Age=0", "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
}

/**
 * The Cookie header with every cookie named in `values` removed, then `name=value` appended for
 * each value that is not null; the other cookies keep their order and bytes. Null when nothing is left.
 */
export function replaceCookies(header: string | null, values: Readonly<Record<string, string | null>>): string | null {
	const kept = (header ?? "").split(";").filter((part) => {
		const equals = part.indexOf("=");
		const name = (equals === -1 ? part : part.slice(0, equals)).trim();
		return name !== "" && !Object.hasOwn(values, name);
	});
	const pairs = kept.map((part) => part.trim());
	for (const [name, value] of Object.entries(values)) if (value !== null) pairs.push(`${name}=${value}`);
	return pairs.length === 0 ? null : pairs.join("; ");
}
