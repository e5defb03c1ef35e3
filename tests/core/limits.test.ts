// Bounded by construction: listSessions answers at most `limit` sessions, and
// refresh.maxSessionsPerSubject caps the live sessions a subject can hold.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { harness, rejects } from "../helpers.js";

const limits = suite("limits");

limits("listSessions returns at most limit sessions (default 100, at most 1000), oldest first", async () => {
	const { service, clock } = harness();
	const ids: string[] = [];
	for (let i = 0; i < 105; i++) {
		ids.push((await service.issue({ subject: "many", device: `d${i}` })).sessionId);
		clock.advance(1);
	}
	const all = await service.listSessions("many");
	assert.is(all.length, 100, "default limit");
	assert.equal(
		all.map((session) => session.id),
		ids.slice(0, 100),
	);
	assert.equal(
		(await service.listSessions("many", { limit: 3 })).map((session) => session.id),
		ids.slice(0, 3),
	);
	assert.is((await service.listSessions("many", { limit: 1000 })).length, 105);
	for (const limit of [0, -1, 1001, 1.5, Number.NaN]) await rejects(service.listSessions("many", { limit }), "ERR_INPUT_INVALID");
});

limits("maxSessionsPerSubject: a login beyond the cap revokes the oldest sessions, with a session-limit event", async () => {
	const { service, clock, events } = harness({ refresh: { maxSessionsPerSubject: 3 } });
	const tokens = [];
	for (let i = 0; i < 5; i++) {
		tokens.push(await service.issue({ subject: "capped", device: `d${i}` }));
		clock.advance(1);
	}
	const live = await service.listSessions("capped");
	assert.equal(
		live.map((session) => session.device),
		["d2", "d3", "d4"],
	);
	await rejects(service.exchange(tokens[0]!.refreshToken), "ERR_TOKEN_REVOKED");
	await rejects(service.exchange(tokens[1]!.refreshToken), "ERR_TOKEN_REVOKED");
	assert.ok(await service.exchange(tokens[4]!.refreshToken));
	const limited = events.flatMap((event) => (event.type === "revoked" && event.reason === "session-limit" ? [event.sessionId] : []));
	assert.equal(limited, [tokens[0]!.sessionId, tokens[1]!.sessionId]);
	// Other subjects are not counted.
	await service.issue({ subject: "someone-else" });
	assert.is((await service.listSessions("capped")).length, 3);
});

limits("maxSessionsPerSubject: concurrent logins converge to the cap, and some login keeps its session", async () => {
	const { service } = harness({ refresh: { maxSessionsPerSubject: 2 } });
	const issued = await Promise.all(Array.from({ length: 8 }, (_, i) => service.issue({ subject: "burst", device: `d${i}` })));
	const live = await service.listSessions("burst");
	assert.ok(live.length <= 2 && live.length >= 1, `${live.length} live sessions`);
	assert.ok(live.every((session) => issued.some((tokens) => tokens.sessionId === session.id)));
});

limits("maxSessionsPerSubject in reuse mode counts devices; the same device logging in again does not evict anyone", async () => {
	const { service, clock } = harness({ refresh: { mode: "reuse", maxSessionsPerSubject: 2 } });
	await service.issue({ subject: "r", device: "laptop" });
	clock.advance(1);
	const phone = await service.issue({ subject: "r", device: "phone" });
	clock.advance(1);
	for (let i = 0; i < 3; i++) assert.is((await service.issue({ subject: "r", device: "phone" })).refreshToken, phone.refreshToken);
	assert.is((await service.listSessions("r")).length, 2);
	await service.issue({ subject: "r", device: "tv" });
	assert.equal(
		(await service.listSessions("r")).map((session) => session.device),
		["phone", "tv"],
	);
});

limits.run();
