// The demo page: vanilla JS, no build step. The refresh token is in an HttpOnly cookie this
// script cannot read; the access token is kept in memory only.
const $ = (id) => document.getElementById(id);
let accessToken = null;
let expiresAt = 0;
let refreshing = null;

function log(line) {
	$("log").textContent = `${new Date().toLocaleTimeString()}  ${line}\n${$("log").textContent}`;
}

function claimsOf(token) {
	const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
	return JSON.parse(atob(payload));
}

// `receivedAt`: when the token response arrived, here or in the tab that passed it on.
function setSession(body, receivedAt = Date.now()) {
	accessToken = body ? body.access_token : null;
	expiresAt = accessToken ? receivedAt + body.expires_in * 1000 : 0;
	const status = $("status");
	if (accessToken) {
		const claims = claimsOf(accessToken);
		status.textContent = `Logged in as ${claims.sub} (${claims.name}), session ${claims.sid.slice(0, 8)}…`;
		status.dataset.state = "logged-in";
		$("access-token").textContent = `${accessToken.slice(0, 32)}…`;
		$("access-token").dataset.jti = claims.jti;
	} else {
		status.textContent = "Logged out.";
		status.dataset.state = "logged-out";
		$("access-token").textContent = "none";
	}
	tick();
}

function tick() {
	const seconds = Math.round((expiresAt - Date.now()) / 1000);
	$("expires").textContent = accessToken ? (seconds > 0 ? `(expires in ${seconds}s)` : "(expired: the next API call refreshes)") : "";
}
setInterval(tick, 1000);

function post(path, params) {
	return fetch(path, {
		method: "POST",
		headers: { "Content-Type": "application/x-www-form-urlencoded" },
		body: new URLSearchParams(params),
		credentials: "same-origin",
	});
}

async function errorText(response) {
	const body = await response.json().catch(() => ({}));
	const retry = response.headers.get("Retry-After");
	return `${response.status} ${body.error ?? ""}: ${body.error_description ?? ""}${retry ? ` (retry in ${retry}s)` : ""}`;
}

async function login(event) {
	event.preventDefault();
	const response = await post("/auth/login", { username: $("username").value, password: $("password").value });
	if (!response.ok) return log(`POST /auth/login → ${await errorText(response)}`);
	setSession(await response.json());
	tellOtherTabs();
	log(`POST /auth/login → 200: access token for ${Math.round((expiresAt - Date.now()) / 1000)}s, refresh cookie set`);
}

// Single flight: concurrent callers share one refresh; other tabs wait on the lock (see below).
function refresh(options = {}) {
	refreshing ??= withRefreshLock(options).finally(() => {
		refreshing = null;
	});
	return refreshing;
}

async function doRefresh({ quiet = false }) {
	const response = await post("/auth/token", { grant_type: "refresh_token" });
	if (response.ok) {
		setSession(await response.json());
		tellOtherTabs();
		log("POST /auth/token → 200: refresh cookie rotated, new access token");
		return true;
	}
	const text = await errorText(response);
	if (response.status === 400) setSession(null);
	if (!quiet) log(`POST /auth/token → ${text}`);
	return false;
}

async function callApi() {
	// An expired token would still pass within the server's clock tolerance (5 s): refresh on
	// the client's own count of expires_in instead of waiting for a 401.
	if (accessToken === null || Date.now() >= expiresAt) {
		log(accessToken === null ? "no access token in memory: refreshing first" : "access token expired: refreshing first");
		if (!(await refresh())) return;
	}
	const get = () => fetch("/api/me", { headers: { Authorization: `Bearer ${accessToken}` } });
	let response = await get();
	if (response.status === 401) {
		log("GET /api/me → 401: refreshing and retrying once");
		if (!(await refresh())) return;
		response = await get();
	}
	const text = await response.text();
	$("me").textContent = response.ok ? JSON.stringify(JSON.parse(text), null, 2) : text;
	log(`GET /api/me → ${response.status}`);
}

async function logout() {
	const response = await post("/auth/logout", {});
	setSession(null);
	tellOtherTabs();
	$("me").textContent = "–";
	log(`POST /auth/logout → ${response.status}${response.ok ? ": session revoked, cookie cleared" : ` ${await errorText(response)}`}`);
}

// --- 5. Your sessions: GET /auth/sessions, DELETE /auth/sessions/{id}, DELETE /auth/sessions -------

/** fetch() with the in-memory access token: refreshes first when it has run out, and once more on a 401. Null when signed out. */
async function withAccessToken(path, init = {}) {
	if ((accessToken === null || Date.now() >= expiresAt) && !(await refresh())) return null;
	const send = () => fetch(path, { ...init, headers: { Authorization: `Bearer ${accessToken}` } });
	const response = await send();
	if (response.status !== 401) return response;
	return (await refresh()) ? send() : null;
}

function shortTime(iso) {
	return iso === null ? "never" : new Date(iso).toLocaleString();
}

function sessionItem(session) {
	const item = document.createElement("li");
	item.dataset.sessionId = session.id;
	item.dataset.current = String(session.current);
	// textContent, never innerHTML: a device label is whatever the other browser's User-Agent said.
	item.textContent = `${session.device ?? "unknown device"}${session.current ? " (this browser)" : ""}: signed in ${shortTime(session.created_at)}, last refreshed ${shortTime(session.last_used_at)}, expires ${shortTime(session.expires_at)} `;
	if (!session.current) {
		const button = document.createElement("button");
		button.type = "button";
		button.className = "sign-out-session";
		button.textContent = "Sign out";
		button.addEventListener("click", () => signOutSession(session.id));
		item.append(button);
	}
	return item;
}

function renderSessions(sessions) {
	$("sessions").replaceChildren(...sessions.map(sessionItem));
	$("sessions").dataset.count = String(sessions.length);
}

async function listSessions() {
	const response = await withAccessToken("/auth/sessions");
	if (response === null) return renderSessions([]);
	if (!response.ok) return log(`GET /auth/sessions → ${await errorText(response)}`);
	const { sessions } = await response.json();
	renderSessions(sessions);
	log(`GET /auth/sessions → 200: ${sessions.length} session(s)`);
}

async function signOutSession(id) {
	const response = await withAccessToken(`/auth/sessions/${encodeURIComponent(id)}`, { method: "DELETE" });
	if (response === null) return renderSessions([]);
	log(`DELETE /auth/sessions/${id.slice(0, 8)}… → ${response.status === 204 ? "204: that session is signed out" : await errorText(response)}`);
	await listSessions();
}

async function signOutOthers() {
	const response = await withAccessToken("/auth/sessions", { method: "DELETE" });
	if (response === null) return renderSessions([]);
	if (!response.ok) return log(`DELETE /auth/sessions → ${await errorText(response)}`);
	const { revoked } = await response.json();
	log(`DELETE /auth/sessions → 200: ${revoked} other session(s) signed out`);
	await listSessions();
}

$("list-sessions").addEventListener("click", listSessions);
$("sign-out-others").addEventListener("click", signOutOthers);
// Signed out (logout, or a refresh refused because another browser ended this session): the list is stale.
new MutationObserver(() => $("status").dataset.state === "logged-in" || renderSessions([])).observe($("status"), { attributes: true, attributeFilter: ["data-state"] });

// Several tabs share the one refresh cookie. A Web Lock lets one tab refresh at a time, waited for
// at most LOCK_TIMEOUT_MS: a frozen or crashed tab can hold it forever, and then the other tabs
// refresh without it, which is safe because the server's grace window (10 s) gives concurrent
// refreshes of one cookie the same successor. A BroadcastChannel hands each new access token
// (or a logout) to the other tabs, which take it only if it arrived later than what they hold:
// a message delivered late never replaces a newer token with an older one.
// (refresh-kit/client does the same for apps: createAuthClient({ lockTimeout }).)
const LOCK_TIMEOUT_MS = 3000;
const tabs = new BroadcastChannel("refresh-kit-demo");
let heldSince = 0;

function tellOtherTabs() {
	heldSince = Date.now();
	tabs.postMessage({ body: accessToken ? { access_token: accessToken, expires_in: Math.round((expiresAt - heldSince) / 1000) } : null, receivedAt: heldSince });
}

tabs.addEventListener("message", ({ data }) => {
	if (!(data.receivedAt > heldSince)) return log("another tab sent an older token: kept this one");
	heldSince = data.receivedAt;
	setSession(data.body, data.receivedAt);
	log(data.body ? "took the access token another tab received" : "another tab logged out");
});

async function withRefreshLock(options) {
	const seen = accessToken;
	let granted = false;
	const underLock = () => {
		granted = true;
		// Another tab may have refreshed (and passed its token on) while this one waited.
		if (accessToken !== null && accessToken !== seen && Date.now() < expiresAt) return true;
		return doRefresh(options);
	};
	try {
		return await navigator.locks.request("refresh-kit-demo", { signal: AbortSignal.timeout(LOCK_TIMEOUT_MS) }, underLock);
	} catch (error) {
		if (granted) throw error;
		log(`no refresh lock within ${LOCK_TIMEOUT_MS / 1000}s (another tab holds it): refreshing without it`);
		return doRefresh(options);
	}
}

// --- wiring of sections 1–4 ----------------------------------------------------------------------------

$("login-form").addEventListener("submit", login);
$("call-api").addEventListener("click", callApi);
$("refresh").addEventListener("click", () => refresh());
$("logout").addEventListener("click", logout);

// A session from before this page load lives on in the cookie: resume it.
refresh({ quiet: true }).then((resumed) => log(resumed ? "resumed the session from the refresh cookie" : "no session yet: log in"));
