/**
 * Hostile input to every RPC: for each method of each service in the generated registry (the
 * service descriptors are enumerated, not listed by hand), fast-check sends random and boundary
 * messages derived from the method's input descriptor through gRPC, gRPC-Web and Connect (JSON
 * and binary), as the admin and as an account with no roles. Then the byte-level attacks the
 * typed clients cannot make: oversized bodies, deeply nested JSON, invalid UTF-8 in protobuf
 * strings, malformed envelopes; and token attacks. Properties: never INTERNAL or UNKNOWN for
 * bad input, no crash (health after each run), nothing leaked in an error, and a canary stored
 * before the fuzzing is intact afterwards. Seed: FC_SEED (default fixed); runs: FC_RUNS.
 */
import assert from "node:assert/strict";
import { connect as http2Connect } from "node:http2";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { create, toBinary, toJson, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import fc from "fast-check";
import { registry } from "@raworc/proto";
import { AuthService } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { RuntimeService } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { SecretService } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "../clients.js";
import { startTestServer, type TestServer } from "../control-plane.js";
import { fcParameters, fcSeed } from "./fc-seed.js";
import { hs256WithPublicKey, partsOf, serverSigningKey, signEd25519, tampered, unsignedToken } from "./forged-tokens.js";
import { assertNoLeak } from "./leak-check.js";
import { messageArbitrary } from "./message-arbitrary.js";
import { callAny, canCarry, openTransports, protocols, type Outcome, type Transports } from "./protocols.js";

const RUNS_PER_COMBINATION = Number(process.env.FC_RUNS ?? 2);
const MAX_MESSAGE_BYTES = 256 * 1024;
const CANARY_VALUE = `canary-${Math.random().toString(36).slice(2)}-value`;
const LOW_PASSWORD = "low-privilege-password";

const services: DescService[] = [...registry].filter((d): d is DescService => d.kind === "service");

describe(`hostile input: every RPC, three protocols, fast-check (seed ${fcSeed}; FC_SEED overrides)`, function () {
  this.timeout(600_000);
  let t: TestServer;
  let transports: Transports;
  const tokens: { admin: string; low: string } = { admin: "", low: "" };
  let secrets: string[];
  let canaryVersion: string;

  /** Fails unless `outcome` is what bad input may get: OK or a deliberate code, with nothing leaked. */
  function assertDeliberate(outcome: Outcome, context: string): void {
    if (outcome.ok) return;
    const { error } = outcome;
    assert.ok(error.code !== Code.Internal && error.code !== Code.Unknown, `${context}: ${Code[error.code]} "${error.rawMessage}"`);
    assertNoLeak(`${error.rawMessage} ${JSON.stringify([...error.metadata])}`, secrets, context);
  }

  async function assertHealthy(context: string): Promise<void> {
    const res = await fetch(`${t.url}/healthz`);
    assert.equal(res.status, 200, `the server is healthy after ${context}`);
  }

  before(async () => {
    t = await startTestServer({ config: { maxMessageBytes: MAX_MESSAGE_BYTES } });
    tokens.admin = await login(t.url, "admin", t.adminPassword);
    await clientOf(ServiceAccountService, t.url, tokens.admin).createServiceAccount({
      serviceAccount: { metadata: { name: "low" }, active: true },
      password: LOW_PASSWORD,
    });
    tokens.low = await login(t.url, "low", LOW_PASSWORD);
    const { secret } = await clientOf(SecretService, t.url, tokens.admin).createSecret({
      secret: { metadata: { namespace: "default", name: "canary" }, data: { key: CANARY_VALUE } },
    });
    canaryVersion = secret!.metadata!.resourceVersion;
    const key = await serverSigningKey(t.dataDir);
    secrets = [t.adminPassword, LOW_PASSWORD, CANARY_VALUE, key.d!, new URL(t.databaseUrl).password].filter((s) => s.length >= 6);
    transports = openTransports(t.url);
  });
  after(async () => {
    transports?.close();
    await t?.stop();
  });

  for (const service of services) {
    for (const method of service.methods) {
      it(`${service.typeName}/${method.name}: random and boundary messages, every protocol, admin and no-role account`, async () => {
        for (const protocol of protocols) {
          if (!canCarry(protocol, method)) continue;
          for (const who of ["admin", "low"] as const) {
            await fc.assert(
              fc.asyncProperty(messageArbitrary(method.input), async (input) => {
                if (protocol === "connect-json" && !jsonEncodable(method, input)) return;
                const context = `${method.parent.typeName}/${method.name} over ${protocol} as ${who}`;
                assertDeliberate(await callAny(transports.of[protocol], service, method, input, tokens[who]), context);
                // Logout revokes the token it was sent with; log in again so the fuzzing goes on authenticated.
                if (method.parent.typeName === AuthService.typeName && method.name === "Logout") await relogin(who);
                await assertHealthy(context);
              }),
              fcParameters(RUNS_PER_COMBINATION),
            );
          }
        }
      });
    }
  }

  async function relogin(who: "admin" | "low"): Promise<void> {
    tokens[who] = await login(t.url, who, who === "admin" ? t.adminPassword : LOW_PASSWORD);
  }

  it("answers deeply nested JSON with INVALID_ARGUMENT, not a crash", async () => {
    const bodies = ["[".repeat(100_000), `{"metadata":${'{"labels":'.repeat(20_000)}{}${"}".repeat(20_000)}}`, `{"session":{"spec":{"agents":[${"[".repeat(20_000)}]}}}`];
    for (const body of bodies) {
      const res = await fetch(`${t.url}/raworc.v1.SessionService/CreateSession`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${tokens.admin}` },
        body,
      });
      const text = await res.text();
      assert.ok([400, 429].includes(res.status), `HTTP ${res.status}: ${text.slice(0, 200)}`);
      assert.match(text, /invalid_argument|resource_exhausted/);
      assertNoLeak(text, secrets, "deep JSON");
    }
    await assertHealthy("deeply nested JSON");
  });

  it("answers invalid UTF-8 in a protobuf string with INVALID_ARGUMENT", async () => {
    // LoginRequest: field 1 (username) = bytes that are not UTF-8; field 2 (password) = "x".
    const body = new Uint8Array([0x0a, 0x04, 0xff, 0xfe, 0xc3, 0x28, 0x12, 0x01, 0x78]);
    const res = await fetch(`${t.url}/raworc.v1.AuthService/Login`, { method: "POST", headers: { "content-type": "application/proto" }, body });
    const text = await res.text();
    assert.equal(res.status, 400, text);
    assert.match(text, /invalid_argument/);
    assertNoLeak(text, secrets, "invalid UTF-8");
    await assertHealthy("invalid UTF-8");
  });

  it("answers malformed gRPC and gRPC-Web envelopes with a deliberate status", async () => {
    // Not among them: a compressed flag without grpc-encoding, which the gRPC spec (compression.md) answers with INTERNAL.
    const envelopes: [string, Uint8Array][] = [
      ["length past the end", new Uint8Array([0, 0, 0, 0, 100, 0x0a, 0x01])],
      ["a truncated prefix", new Uint8Array([0, 0, 0])],
      ["two messages for a unary call", new Uint8Array([0, 0, 0, 0, 2, 0x0a, 0x00, 0, 0, 0, 0, 2, 0x0a, 0x00])],
      ["a length of 4 GiB", new Uint8Array([0, 0xff, 0xff, 0xff, 0xff, 0x0a])],
    ];
    for (const [what, body] of envelopes) {
      const status: number | undefined = await grpcStatus("/raworc.v1.AuthService/WhoAmI", body, tokens.admin);
      assert.ok(status !== undefined && ![Code.Internal, Code.Unknown, 0].includes(status), `gRPC, ${what}: grpc-status ${status}`);
      const web = await fetch(`${t.url}/raworc.v1.AuthService/WhoAmI`, {
        method: "POST",
        headers: { "content-type": "application/grpc-web+proto", authorization: `Bearer ${tokens.admin}` },
        body,
      });
      const text = Buffer.from(await web.arrayBuffer()).toString("latin1");
      const webStatus: number = Number(web.headers.get("grpc-status") ?? /grpc-status:\s*(\d+)/.exec(text)?.[1]);
      assert.ok(![Code.Internal, Code.Unknown, 0].includes(webStatus), `gRPC-Web, ${what}: grpc-status ${webStatus}`);
      assertNoLeak(text, secrets, `gRPC-Web, ${what}`);
    }
    await assertHealthy("malformed envelopes");
  });

  /** Sends one raw gRPC request over HTTP/2 and returns its grpc-status. */
  async function grpcStatus(path: string, body: Uint8Array, token: string): Promise<number | undefined> {
    const client = http2Connect(t.url);
    try {
      return await new Promise<number | undefined>((resolve, reject) => {
        const req = client.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", authorization: `Bearer ${token}` });
        let status: number | undefined;
        const take = (headers: Record<string, unknown>) => {
          if (headers["grpc-status"] !== undefined) status = Number(headers["grpc-status"]);
        };
        req.on("response", take);
        req.on("trailers", take);
        req.on("data", () => undefined);
        req.on("end", () => resolve(status));
        req.on("error", reject);
        req.end(Buffer.from(body));
      });
    } finally {
      client.close();
    }
  }

  it("refuses forged and misused tokens with UNAUTHENTICATED and accepts nothing else", async () => {
    const key = await serverSigningKey(t.dataDir);
    const base = partsOf(tokens.admin);
    const now = Math.floor(Date.now() / 1000);
    const forged = (header: Record<string, unknown>, claims: Record<string, unknown>) => signEd25519(key, { header: { ...base.header, ...header }, claims: { ...base.claims, ...claims } });
    const revoked = await login(t.url, "low", LOW_PASSWORD);
    await clientOf(AuthService, t.url, revoked).logout({});
    tokens.low = await login(t.url, "low", LOW_PASSWORD);
    const attacks: Record<string, string> = {
      "alg none": unsignedToken(base),
      "HS256 keyed with the public key": hs256WithPublicKey(key, base),
      "an unknown kid": forged({ kid: "not-a-key" }, {}),
      "a wrong issuer": forged({}, { iss: "evil" }),
      "a wrong audience": forged({}, { aud: "raworc-runtime" }),
      "a wrong typ": forged({ typ: "JWT" }, {}),
      expired: forged({}, { iat: now - 7200, exp: now - 3600 }),
      "a tampered signature": tampered(tokens.admin),
      "a session daemon token": forged({ typ: "raworc-session+jwt" }, { aud: "raworc-runtime" }),
      revoked,
      garbage: "a.b.c",
    };
    for (const [what, token] of Object.entries(attacks)) {
      for (const protocol of protocols) {
        for (const call of [
          () => callAny(transports.of[protocol], AuthService, AuthService.method.whoAmI, {}, token),
          () => callAny(transports.of[protocol], SessionService, SessionService.method.listSessions, { namespace: "default" }, token),
        ]) {
          const outcome = await call();
          assert.ok(!outcome.ok && outcome.error.code === Code.Unauthenticated, `${what} over ${protocol}: ${outcome.ok ? "accepted" : Code[outcome.error.code]}`);
          assertDeliberate(outcome, `${what} over ${protocol}`);
        }
      }
    }
    // A user token is not a daemon's: Attach refuses the admin's own, valid token.
    for (const protocol of ["grpc", "connect-json"] as const) {
      const outcome = await callAny(transports.of[protocol], RuntimeService, RuntimeService.method.attach, {}, tokens.admin);
      assert.ok(!outcome.ok && outcome.error.code === Code.Unauthenticated, `a user token on Attach over ${protocol}: ${outcome.ok ? "accepted" : Code[outcome.error.code]}`);
    }
    await assertHealthy("token attacks");
  });

  it("keeps what was stored before the fuzzing: the canary secret and the accounts are intact", async () => {
    const { secret } = await clientOf(SecretService, t.url, tokens.admin).getSecret({ ref: { namespace: "default", name: "canary" } });
    assert.equal(secret?.metadata?.resourceVersion, canaryVersion, "the canary secret was not changed");
    assert.equal((await clientOf(AuthService, t.url, await login(t.url, "low", LOW_PASSWORD)).whoAmI({})).principal?.name, "low");
    const jwks = await readFile(join(t.dataDir, "keys", "jwks.json"), "utf8");
    assert.ok(jwks.includes((await serverSigningKey(t.dataDir)).kid), "the key set is intact");
    await assertHealthy("the fuzzing");
  });
  // Last: the server closes HTTP/1.1 connections whose upload it refused, which pooled clients of later tests would reuse.
  it("answers a body over the read limit with RESOURCE_EXHAUSTED or INVALID_ARGUMENT on every protocol", async () => {
    const huge = "x".repeat(MAX_MESSAGE_BYTES + 1024);
    // connect-node's HTTP/1.1 client reports a server that answers before the upload ends as
    // ABORTED, whatever the answer; so over HTTP/1.1 the answer itself is read with fetch.
    const body = toBinary(AuthService.method.login.input, create(AuthService.method.login.input, { username: huge, password: huge }));
    const res = await fetch(`${t.url}/raworc.v1.AuthService/Login`, { method: "POST", headers: { "content-type": "application/proto" }, body });
    const text = await res.text();
    assert.equal(res.status, 429, text);
    assert.match(text, /resource_exhausted/);
    for (const protocol of protocols.filter((p) => p !== "connect-binary")) {
      const outcome = await callAny(transports.of[protocol], AuthService, AuthService.method.login, { username: huge, password: huge }, undefined, 30_000);
      assert.ok(!outcome.ok && [Code.ResourceExhausted, Code.InvalidArgument].includes(outcome.error.code), `${protocol}: ${outcome.ok ? "OK" : Code[outcome.error.code]}`);
      assertDeliberate(outcome, `oversized over ${protocol}`);
    }
    await assertHealthy("oversized bodies");
  });
});

/** Whether a JSON client can send `input` at all (a client-side encoding failure is not a server finding). */
function jsonEncodable(method: DescMethod, input: unknown): boolean {
  try {
    toJson(method.input, input as never, { registry });
    toBinary(method.input, input as never);
    return true;
  } catch (error) {
    if (error instanceof ConnectError) throw error;
    return false;
  }
}
