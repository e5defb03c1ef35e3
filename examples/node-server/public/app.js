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

function setSession(body) {
	accessToken = body ? body.access_token : null;
	expiresAt = accessToken ? Date.now() + body.expires_in * 1000 : 0;
	const status = $("status");
	if (accessToken) {
		const claims = claimsOf(accessToken);
		status.textContent = `Logged in as ${claims.sub} (${claims.name}), session ${claims.sid.slice(0, 8)}…`;
		status.dataset.state = "logged-in";
		$("access-token").textContent = `${accessToken.slice(0, 32)}…`;
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
	log(`POST /auth/login → 200: access token for ${Math.round((expiresAt - Date.now()) / 1000)}s, refresh cookie set`);
}

// Single flight: concurrent callers share one refresh (the server's grace window covers other tabs).
function refresh(options = {}) {
	refreshing ??= doRefresh(options).finally(() => {
		refreshing = null;
	});
	return refreshing;
}

async function doRefresh({ quiet = false }) {
	const response = await post("/auth/token", { grant_type: "refresh_token" });
	if (response.ok) {
		setSession(await response.json());
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
	$("me").textContent = "–";
	log(`POST /auth/logout → ${response.status}${response.ok ? ": session revoked, cookie cleared" : ` ${await errorText(response)}`}`);
}

$("login-form").addEventListener("submit", login);
$("call-api").addEventListener("click", callApi);
$("refresh").addEventListener("click", () => refresh());
$("logout").addEventListener("click", logout);

// A session from before this page load lives on in the cookie: resume it.
refresh({ quiet: true }).then((resumed) => log(resumed ? "resumed the session from the refresh cookie" : "no session yet: log in"));
