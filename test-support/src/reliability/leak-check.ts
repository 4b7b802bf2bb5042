/** Checks that what a client is told about an error shows nothing of the server's insides or secrets. */
import assert from "node:assert/strict";

/** Asserts `text` holds no stack frame, SQL, file path or any of `secrets`. */
export function assertNoLeak(text: string, secrets: readonly string[], context: string): void {
  assert.doesNotMatch(text, /\bat \S+ \(|\bat (?:async )?\S+:\d+:\d+|\n\s+at /, `stack frame in ${context}: ${text.slice(0, 500)}`);
  assert.doesNotMatch(text, /\b(?:select .* from|insert into|delete from|update \S+ set)\b|\bSQLSTATE\b|\bpostgres(?:ql)?:\/\//i, `SQL in ${context}: ${text.slice(0, 500)}`);
  assert.doesNotMatch(text, /node_modules|(?:\/[\w.-]+){2,}\.(?:ts|js|mjs)\b|\.ts:\d+/, `file path in ${context}: ${text.slice(0, 500)}`);
  for (const secret of secrets) assert.ok(!text.includes(secret), `a secret value in ${context}`);
}
