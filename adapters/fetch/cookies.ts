// Cookie mode: reading the Cookie header and writing the Set-Cookie lines of the hub.

/** RFC 6265 §4.1.1 cookie-name (an HTTP token). */
export const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;
// Browsers cap cookie lifetimes at 400 days; a session without expiry gets the cap.
const MAX_COOKIE_AGE = 400 * 86_400;

export interface CookieAttributes {
	path: string;
	domain: string | undefined;
}

/**
 * The value of the first cookie called `name`. Browsers send the cookie with the longest
 * matching path first (RFC 6265 §5.4), which is the one this library set.
 */
export function readCookie(header: string | null, name: string): string | null {
	if (header === null) return null;
	for (const part of header.split(";")) {
		const equals = part.indexOf("=");
		if (equals === -1 || part.slice(0, equals).trim() !== name) continue;
		let value = part.slice(equals + 1).trim();
		if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
		return COOKIE_VALUE.test(value) && value.length > 0 ? value : null;
	}
	return null;
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

/** How many cookies called `name` the header carries (browsers send one per path and domain that matches). */
export function countCookies(header: string | null, name: string): number {
	if (header === null) return 0;
	let count = 0;
	for (const part of header.split(";")) {
		const equals = part.indexOf("=");
		if (equals !== -1 && part.slice(0, equals).trim() === name) count++;
	}
	return count;
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
