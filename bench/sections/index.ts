// The targets of every section, in the order of the report's Targets table. Each section
// derives its own from its figures (pure functions of the results), so `--render` recomputes
// them from a dump and a skipped section still shows its rows as not measured.
import type { RunSettings } from "../config.js";
import type { Target } from "../report/targets.js";
import type { Results } from "../results.js";
import { coreTargets } from "./core.js";
import { httpTargets } from "./http.js";
import { roundTripTargets } from "./roundtrips.js";
import { scaleTargets } from "./scale.js";

export function collectTargets(results: Results, settings: RunSettings): Target[] {
	return [...httpTargets(results, settings), ...coreTargets(results), ...roundTripTargets(results), ...scaleTargets(results, settings)];
}
