import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, SignJWT, UnsecuredJWT, exportJWK, base64url } from "jose";
import { importKeySet, loadOrCreateKeySet, rotateSigningKey, type Keyring } from "./keyring.js";
import { InvalidTokenError, issueToken, tokenKinds, verifyToken } from "./tokens.js";

const issuer = "raworc-test";

async function freshKeyring(): Promise<{ keyring: Keyring; file: string }> {
  const file = join(await mkdtemp(join(tmpdir(), "raworc-keys-")), "jwks.json");
  return { keyring: await importKeySet(await loadOrCreateKeySet(file)), file };
}

async function rejects(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => e instanceof InvalidTokenError && message.test(e.message));
}

describe("tokens", () => {
  let keyring: Keyring;
  before(async () => ({ keyring } = await freshKeyring()));

  const sign = (overrides: { header?: Record<string, unknown>; claims?: Record<string, unknown>; key?: Keyring["signingKey"] } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    // Claims are set in the payload directly so that overrides win over the defaults.
    return new SignJWT({ gen: 1, iss: issuer, aud: tokenKinds.user.aud, sub: "account-1", jti: "jti-1", iat: now, exp: now + 3600, ...overrides.claims })
      .setProtectedHeader({ alg: "EdDSA", typ: tokenKinds.user.typ, kid: keyring.signingKeyId, ...overrides.header })
      .sign(overrides.key ?? keyring.signingKey);
  };

  it("accepts a well-formed token (so the refusals below are about what they change)", async () => {
    assert.equal((await verifyToken(keyring, "user", await sign(), { issuer })).sub, "account-1");
  });

  it("round-trips a user token with its claims", async () => {
    const issued = await issueToken(keyring, "user", { sub: "account-1", gen: 3 }, { issuer, ttlSeconds: 60 });
    const claims = await verifyToken(keyring, "user", issued.token, { issuer });
    assert.equal(claims.sub, "account-1");
    assert.equal(claims.gen, 3);
    assert.equal(claims.jti, issued.jti);
    assert.equal(claims.expiresAt.getTime(), issued.expiresAt.getTime());
  });

  it("never accepts a user token as a session token, or the reverse", async () => {
    const user = await issueToken(keyring, "user", { sub: "a", gen: 1 }, { issuer, ttlSeconds: 60 });
    const session = await issueToken(keyring, "session", { sub: "s", gen: 1 }, { issuer, ttlSeconds: 60 });
    await rejects(verifyToken(keyring, "session", user.token, { issuer }), /invalid token/);
    await rejects(verifyToken(keyring, "user", session.token, { issuer }), /invalid token/);
  });

  it("refuses alg none", async () => {
    const unsecured = new UnsecuredJWT({ gen: 1 }).setIssuer(issuer).setAudience(tokenKinds.user.aud).setSubject("a").setJti("j").setIssuedAt().setExpirationTime("1h").encode();
    await rejects(verifyToken(keyring, "user", unsecured, { issuer }), /invalid token|unknown key/);
  });

  it("refuses an HMAC token keyed with the public key (algorithm confusion)", async () => {
    const publicJwk = await exportJWK(keyring.verificationKeys.get(keyring.signingKeyId)!);
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
    const forged = await new SignJWT({ gen: 1 })
      .setProtectedHeader({ alg: "HS256", typ: tokenKinds.user.typ, kid: keyring.signingKeyId })
      .setIssuer(issuer).setAudience(tokenKinds.user.aud).setSubject("a").setJti("j").setIssuedAt().setExpirationTime("1h")
      .sign(secret);
    await rejects(verifyToken(keyring, "user", forged, { issuer }), /invalid token/);
  });

  it("refuses a tampered payload", async () => {
    const token = await sign();
    const [h, , s] = token.split(".");
    const payload = base64url.encode(JSON.stringify({ sub: "admin", gen: 1, iss: issuer, aud: tokenKinds.user.aud, jti: "x", iat: 1, exp: 9999999999 }));
    await rejects(verifyToken(keyring, "user", `${h}.${payload}.${s}`, { issuer }), /invalid token/);
  });

  it("refuses an expired token", async () => {
    const expired = await sign({ claims: { exp: Math.floor(Date.now() / 1000) - 3600 } });
    await rejects(verifyToken(keyring, "user", expired, { issuer }), /expired/);
  });

  it("refuses the wrong audience, issuer and type", async () => {
    await rejects(verifyToken(keyring, "user", await sign({ claims: { aud: "someone-else" } }), { issuer }), /invalid token/);
    await rejects(verifyToken(keyring, "user", await sign(), { issuer: "other-issuer" }), /invalid token/);
    await rejects(verifyToken(keyring, "user", await sign({ header: { typ: "JWT" } }), { issuer }), /invalid token/);
  });

  it("refuses tokens without a kid, or signed by a key it does not know", async () => {
    await rejects(verifyToken(keyring, "user", await sign({ header: { kid: undefined } }), { issuer }), /unknown key/);
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    await rejects(verifyToken(keyring, "user", await sign({ key: privateKey }), { issuer }), /invalid token/);
    await rejects(verifyToken(keyring, "user", await sign({ header: { kid: "nope" } }), { issuer }), /unknown key/);
  });

  it("refuses tokens that lack jti, sub or the generation", async () => {
    const noGen = await new SignJWT({})
      .setProtectedHeader({ alg: "EdDSA", typ: tokenKinds.user.typ, kid: keyring.signingKeyId })
      .setIssuer(issuer).setAudience(tokenKinds.user.aud).setSubject("a").setJti("j").setIssuedAt().setExpirationTime("1h")
      .sign(keyring.signingKey);
    await rejects(verifyToken(keyring, "user", noGen, { issuer }), /invalid token/);
    const noJti = await new SignJWT({ gen: 1 })
      .setProtectedHeader({ alg: "EdDSA", typ: tokenKinds.user.typ, kid: keyring.signingKeyId })
      .setIssuer(issuer).setAudience(tokenKinds.user.aud).setSubject("a").setIssuedAt().setExpirationTime("1h")
      .sign(keyring.signingKey);
    await rejects(verifyToken(keyring, "user", noJti, { issuer }), /invalid token/);
  });

  it("refuses garbage", async () => {
    for (const junk of ["", "a.b.c", "not-a-jwt", "....", "eyJhbGciOiJFZERTQSJ9.e30."]) {
      await rejects(verifyToken(keyring, "user", junk, { issuer }), /invalid token|unknown key/);
    }
  });

  it("keeps verifying tokens of a rotated-out signing key, and signs with the new one", async () => {
    const { keyring: before, file } = await freshKeyring();
    const old = await issueToken(before, "user", { sub: "a", gen: 1 }, { issuer, ttlSeconds: 60 });
    const rotated = await rotateSigningKey(file);
    const after = await importKeySet(rotated);
    assert.notEqual(after.signingKeyId, before.signingKeyId);
    assert.equal(after.verificationKeys.size, 2);
    assert.equal((await verifyToken(after, "user", old.token, { issuer })).sub, "a");
    const fresh = await issueToken(after, "user", { sub: "b", gen: 1 }, { issuer, ttlSeconds: 60 });
    // A server that has not yet loaded the new key refuses the new token rather than guessing.
    await rejects(verifyToken(before, "user", fresh.token, { issuer }), /unknown key/);
    // Once the old key is removed from the set, its tokens stop working.
    const pruned = await importKeySet({ ...rotated, keys: rotated.keys.filter((k) => k.kid === rotated.signingKeyId) });
    await rejects(verifyToken(pruned, "user", old.token, { issuer }), /unknown key/);
  });
});
