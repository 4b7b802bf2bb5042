import assert from "node:assert/strict";
import { formatAge, formatDuration, parseDuration, parseTimeFlag } from "./durations.js";

describe("durations", () => {
  it("shows ages as kubectl does", () => {
    const s = 1000;
    const cases: [number, string][] = [
      [0, "0s"], [119 * s, "119s"], [150 * s, "2m30s"], [600 * s, "10m"], [179 * 60 * s, "179m"], [(3 * 60 + 5) * 60 * s, "3h5m"],
      [47 * 3600 * s, "47h"], [(3 * 24 + 4) * 3600 * s, "3d4h"], [400 * 86400 * s, "400d"], [(3 * 365 + 20) * 86400 * s, "3y20d"], [9 * 365 * 86400 * s, "9y"],
    ];
    for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, `${ms}ms`);
    assert.equal(formatAge(undefined), "<unknown>");
    assert.equal(formatAge(new Date(0), new Date(45_000)), "45s");
  });

  it("parses typed durations", () => {
    assert.equal(parseDuration("90s"), 90_000);
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("2d"), 172_800_000);
    assert.throws(() => parseDuration("1hour"), { name: "UsageError" });
    assert.throws(() => parseDuration("10"), { name: "UsageError" });
  });

  it("reads --since/--until as a duration ago or an RFC 3339 time, and nothing else", () => {
    const now = new Date("2030-01-02T12:00:00Z");
    assert.equal(parseTimeFlag("1h", "--since", now).toISOString(), "2030-01-02T11:00:00.000Z");
    assert.equal(parseTimeFlag("2030-01-01T00:00:00Z", "--since", now).toISOString(), "2030-01-01T00:00:00.000Z");
    assert.equal(parseTimeFlag("2030-01-01T02:00:00+02:00", "--since", now).toISOString(), "2030-01-01T00:00:00.000Z");
    assert.throws(() => parseTimeFlag("yesterday", "--since", now), { message: /--since: "yesterday" is neither a duration/ });
    assert.throws(() => parseTimeFlag("March 5", "--until", now), { name: "UsageError" });
  });
});
