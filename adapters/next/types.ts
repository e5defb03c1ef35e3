// Public types of the Next.js adapter.

/** The route handlers to export from `app/auth/[...path]/route.ts`. */
export interface NextHandlers {
	GET(request: Request): Promise<Response>;
	POST(request: Request): Promise<Response>;
	/** The sessions routes (`DELETE {basePath}/sessions[/{id}]`, with `sessions: true`); export it too. */
	DELETE(request: Request): Promise<Response>;
}
