import assert from "node:assert/strict";
import { VerifiedTokens } from "./verified-tokens.js";

const claims = (expiresAt: number) => ({ sub: "account", gen: 1, jti: "j", issuedAt: new Date(0), expiresAt: new Date(expiresAt) });

describe("verified tokens", () => {
  it("answers for a token verified before, until it expires", () => {
    const tokens = new VerifiedTokens();
    tokens.remember("token-a", claims(2_000));
    assert.equal(tokens.get("token-a", 1_000)?.sub, "account");
    assert.equal(tokens.get("token-b", 1_000), undefined, "another token is not known");
    assert.equal(tokens.get("token-a", 2_000), undefined, "an expired token must be verified again (and is refused then)");
    assert.equal(tokens.get("token-a", 1_000), undefined, "and is forgotten");
  });

  it("keeps at most its bound, forgetting the least recently used", () => {
    const tokens = new VerifiedTokens(2);
    tokens.remember("a", claims(10_000));
    tokens.remember("b", claims(10_000));
    assert.ok(tokens.get("a", 0));
    tokens.remember("c", claims(10_000));
    assert.equal(tokens.get("b", 0), undefined);
    assert.ok(tokens.get("a", 0));
    assert.ok(tokens.get("c", 0));
  });
});
