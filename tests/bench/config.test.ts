import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseConfig, UsageError } from "../../bench/config.js";

const config = suite("bench command line");

function refused(argv: string[], message: string): void {
	try {
		parseConfig(argv);
	} catch (error) {
		assert.instance(error, UsageError);
		assert.is((error as Error).message, message);
		return;
	}
	assert.unreachable(`${argv.join(" ")} was accepted`);
}

config("the CI smoke run: quick, nothing written", () => {
	const parsed = parseConfig(["--quick", "--no-write"]);
	assert.is(parsed.quick, true);
	assert.is(parsed.out, null);
	assert.is(parsed.runs, 1);
	assert.is(parsed.durationMs, 1000);
	assert.equal(parsed.scaleSizes, [10_000, 100_000]);
});

config("values as separate arguments or after =", () => {
	const parsed = parseConfig(["--runs", "3", "--duration=2.5", "--skip", "core,scale", "--max-sessions=1000000", "--out", "/tmp/r.md"]);
	assert.is(parsed.runs, 3);
	assert.is(parsed.core.runs, 3);
	assert.is(parsed.durationMs, 2500);
	assert.equal([...parsed.skip], ["core", "scale"]);
	assert.equal(parsed.scaleSizes, [10_000, 1_000_000]);
	assert.is(parsed.out, "/tmp/r.md");
});

config("mistakes are refused with the option and what it expects", () => {
	refused(["--runs", "0"], '--runs must be a whole number ≥ 1, got "0"');
	refused(["--runs=2.5"], '--runs must be a whole number ≥ 1, got "2.5"');
	refused(["--pool", "ten"], '--pool must be a whole number ≥ 1, got "ten"');
	refused(["--duration", "-1"], '--duration must be a number > 0, got "-1"');
	refused(["--duration"], "--duration needs a value");
	refused(["--runs", "--quick"], "--runs needs a value");
	refused(["--skip", "core,htp"], '--skip: unknown section "htp" (sections: core, roundtrips, http, profile, demo, memory, scale)');
	refused(["--quik"], "unknown option --quik");
	refused(["--quick=yes"], "--quick takes no value");
	refused(["--runs", "2", "--runs", "3"], "--runs is given twice");
	refused(["quick"], 'unexpected argument "quick" (options start with --)');
});

config.run();
