// The example server: `npm start`. Environment: PORT (3030), HOST (127.0.0.1), DATABASE_URL
// (postgres://…; default: embedded PGlite under .data/), ACCESS_TOKEN_TTL (15m), REUSE_GRACE
// (10s), REFRESH_MODE (rotate | reuse), AUTH_KEYS, REFRESH_SECRET.
import { openStore } from "refresh-kit/storage/drizzle";
import { createApp, DEMO_USER } from "./app.js";
import { createTokens } from "./authentication.js";

const PORT = Number(process.env.PORT ?? 3030);
const HOST = process.env.HOST ?? "127.0.0.1";

const store = await openStore(process.env.DATABASE_URL);
const app = await createApp(await createTokens(store));
await app.listen(PORT, HOST);
console.log(`Feathers app on http://${HOST}:${PORT} (REST and Socket.io); sign in as ${DEMO_USER.email} / ${DEMO_USER.password}`);

async function shutdown(): Promise<void> {
	await app.teardown();
	await store.close();
	process.exit(0);
}
process.once("SIGTERM", () => void shutdown());
process.once("SIGINT", () => void shutdown());
