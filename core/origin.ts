// Origins as browsers write them in the `Origin` header: what the adapters' same-origin check and
// the client's trusted origins compare. Not exported by the package.

/** The origin of an absolute URL (`https://app.example.com/x` → `https://app.example.com`), or null. */
export function originOf(url: string | undefined): string | null {
	if (url === undefined) return null;
	let origin: string;
	try {
		origin = new URL(url).origin;
	} catch {
		return null;
	}
	// An opaque origin (data:, file:) serializes as "null", which must never match an Origin header.
	return origin === "null" ? null : origin;
}

/** `value` when it is exactly an origin as browsers send it in `Origin` (no path, no trailing slash), else null. */
export function canonicalOrigin(value: unknown): string | null {
	return typeof value === "string" && originOf(value) === value ? value : null;
}
