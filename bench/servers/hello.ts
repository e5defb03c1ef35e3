// The ceiling of the HTTP layer: plain node:http that reads the request body (the load
// generator sends the same POST as a refresh) and answers a fixed small JSON.
import { createServer } from "node:http";
import { listen, readBody } from "./listen.js";

const answer = JSON.stringify({ access_token: "hello", token_type: "Bearer", expires_in: 900 });

const server = createServer(function hello(request, response) {
	readBody(request).then(
		() => {
			response.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(answer), "Cache-Control": "no-store" });
			response.end(answer);
		},
		() => {
			response.writeHead(400).end();
		},
	);
});

listen(server);
