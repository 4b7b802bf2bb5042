/**
 * Interop: every protocol the one port speaks, driven by the clients people actually use —
 * curl-style fetch (Connect), connect-node (Connect over HTTP/2, gRPC-Web, gRPC), @grpc/grpc-js,
 * Python's grpcio, and `buf curl` through server reflection — against a real server.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { raworcFiles } from "@raworc/proto";
import {
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus as Serving,
  HealthCheckResponseSchema,
} from "@raworc/proto/gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "@raworc/proto/gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "@raworc/proto/gen/grpc/reflection/v1alpha/reflection_pb.js";
import { AuthService } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { callFromPython, pythonGrpcAvailable, pythonGrpcMissing, writeDescriptorSet } from "@raworc/test-support/grpc-python.js";

const runFile = promisify(execFile);
const buf = fileURLToPath(new URL("../../node_modules/.bin/buf", import.meta.url));
const maxMessageBytes = 64 * 1024;

/** Asserts that an error body shows nothing of the server's insides. */
function assertNoInternals(text: string): void {
  assert.doesNotMatch(text, /\bat \S+ \(|\bat (?:async )?\S+:\d+:\d+|\n\s+at /, `stack frame in: ${text}`);
  assert.doesNotMatch(text, /\b(?:select|insert into|delete from|update \S+ set)\b|\bSQLSTATE\b|\bpostgres/i, `SQL in: ${text}`);
  assert.doesNotMatch(text, /node_modules|(?:\/[\w.-]+){2,}\.(?:ts|js|mjs)\b|\.ts:\d+/, `file path in: ${text}`);
}

// Bytes that are not a LoginRequest: field 1 claims a length far past the end.
const garbage = new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]);

/** Wraps one message in the 5-byte envelope of the streaming protocols (flags, big-endian length). */
function envelope(data: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(5 + data.byteLength);
  new DataView(out.buffer).setUint32(1, data.byteLength);
  out.set(data, 5);
  return out;
}

/** Splits an enveloped body into its frames. */
function frames(body: Uint8Array): { flags: number; data: Buffer }[] {
  const out = [];
  for (let at = 0; at + 5 <= body.byteLength; ) {
    const length = new DataView(body.buffer, body.byteOffset + at + 1, 4).getUint32(0);
    out.push({ flags: body[at] ?? 0, data: Buffer.from(body.subarray(at + 5, at + 5 + length)) });
    at += 5 + length;
  }
  return out;
}

async function codeOf(promise: Promise<unknown>): Promise<Code> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error).code;
  }
  assert.fail("expected the call to fail");
}

describe("every protocol on one port (real server, real PostgreSQL)", function () {
  let t: TestServer;
  let token: string;
  let tmp: string;
  const sessions: Http2SessionManager[] = [];
  const h2 = () => {
    const manager = new Http2SessionManager(t.url);
    sessions.push(manager);
    return manager;
  };

  before(async () => {
    t = await startTestServer({ config: { maxMessageBytes } });
    token = await login(t.url, "admin", t.adminPassword);
    tmp = await mkdtemp(join(tmpdir(), "raworc-protocols-"));
  });
  after(async () => {
    for (const s of sessions) s.abort();
    await t?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  describe("Connect protocol, curl-style (fetch over HTTP/1.1)", () => {
    const post = (path: string, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}) =>
      fetch(`${t.url}/${path}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
    const expectError = async (res: Response, status: number, code: string) => {
      const text = await res.text();
      assert.equal(res.status, status, text);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      const body = JSON.parse(text) as { code: string; message?: string };
      assert.equal(body.code, code, text);
      assertNoInternals(text);
      return body;
    };

    it("logs in with a JSON POST and calls WhoAmI with the bearer token", async () => {
      const res = await post("raworc.v1.AuthService/Login", JSON.stringify({ username: "admin", password: t.adminPassword }));
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      assert.ok(res.headers.get("x-request-id"), "every response carries a request id");
      const body = (await res.json()) as { token: string; expiresAt: string; principal: { name: string } };
      assert.match(body.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.ok(Date.parse(body.expiresAt) > Date.now(), "expiresAt is an RFC 3339 time in the future");
      assert.equal(body.principal.name, "admin");

      const me = await post("raworc.v1.AuthService/WhoAmI", "{}", { authorization: `Bearer ${body.token}` });
      assert.equal(me.status, 200);
      const who = (await me.json()) as { principal: { name: string; kind: string } };
      assert.deepEqual([who.principal.name, who.principal.kind], ["admin", "ServiceAccount"]);
    });

    it("answers WhoAmI without a token with 401 unauthenticated", async () => {
      await expectError(await post("raworc.v1.AuthService/WhoAmI", "{}"), 401, "unauthenticated");
    });

    it("answers a wrong password with 401 unauthenticated, saying nothing about which part was wrong", async () => {
      const res = await post("raworc.v1.AuthService/Login", JSON.stringify({ username: "admin", password: "not-the-password" }));
      const body = await expectError(res, 401, "unauthenticated");
      assert.doesNotMatch(body.message ?? "", /not-the-password/);
    });

    it("answers malformed JSON with 400 invalid_argument", async () => {
      await expectError(await post("raworc.v1.AuthService/Login", '{"username": "admin", "password": '), 400, "invalid_argument");
      await expectError(await post("raworc.v1.AuthService/Login", '{"username": 42}'), 400, "invalid_argument");
    });

    it("answers a request that breaks the declared rules with invalid_argument and its violations", async () => {
      const res = await post("raworc.v1.AuthService/Login", JSON.stringify({ username: "", password: "" }));
      const text = await res.text();
      assert.equal(res.status, 400, text);
      const body = JSON.parse(text) as { code: string; details?: { type: string }[] };
      assert.equal(body.code, "invalid_argument");
      assert.ok(body.details?.some((d) => d.type === "buf.validate.Violations"), `field violations in: ${text}`);
    });

    it("answers garbage binary protobuf with 400 invalid_argument", async () => {
      const res = await post("raworc.v1.AuthService/Login", garbage, { "content-type": "application/proto" });
      await expectError(res, 400, "invalid_argument");
    });

    it("answers a message over the size limit with resource_exhausted", async () => {
      const big = JSON.stringify({ username: "admin", password: "x".repeat(maxMessageBytes + 1) });
      await expectError(await post("raworc.v1.AuthService/Login", big), 429, "resource_exhausted");
    });

    it("ends a stream whose request is garbage protobuf with invalid_argument", async () => {
      const res = await post("grpc.health.v1.Health/Watch", envelope(garbage), { "content-type": "application/connect+proto" });
      assert.equal(res.status, 200);
      const end = frames(new Uint8Array(await res.arrayBuffer())).find((f) => f.flags === 0x02);
      assert.ok(end, "an end-stream message");
      const text = end.data.toString("utf8");
      assert.equal((JSON.parse(text) as { error?: { code: string } }).error?.code, "invalid_argument", text);
      assertNoInternals(text);
    });

    it("speaks Connect over cleartext HTTP/2 as well", async () => {
      const transport = createConnectTransport({ baseUrl: t.url, httpVersion: "2", sessionManager: h2() });
      const auth = createClient(AuthService, transport);
      const res = await auth.login({ username: "admin", password: t.adminPassword });
      const me = await auth.whoAmI({}, { headers: { authorization: `Bearer ${res.token}` } });
      assert.equal(me.principal?.name, "admin");
      assert.equal(await codeOf(auth.whoAmI({}, { headers: { authorization: "Bearer not.a.token" } })), Code.Unauthenticated);
    });
  });

  describe("gRPC-Web (connect-node over HTTP/1.1)", () => {
    it("logs in and calls WhoAmI", async () => {
      const auth = createClient(AuthService, createGrpcWebTransport({ baseUrl: t.url, httpVersion: "1.1" }));
      const res = await auth.login({ username: "admin", password: t.adminPassword });
      const me = await auth.whoAmI({}, { headers: { authorization: `Bearer ${res.token}` } });
      assert.equal(me.principal?.name, "admin");
    });

    it("carries errors in trailers: a wrong password is UNAUTHENTICATED with no internals", async () => {
      const auth = createClient(AuthService, createGrpcWebTransport({ baseUrl: t.url, httpVersion: "1.1" }));
      const error = await auth.login({ username: "admin", password: "wrong-password" }).then(
        () => assert.fail("a wrong password must fail"),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(error.code, Code.Unauthenticated);
      assertNoInternals(error.rawMessage);
    });
  });

  describe("gRPC-Web, raw (fetch)", () => {
    it("puts INVALID_ARGUMENT in the trailer frame for garbage protobuf", async () => {
      const res = await fetch(`${t.url}/raworc.v1.AuthService/Login`, {
        method: "POST",
        body: envelope(garbage),
        headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
      });
      assert.equal(res.status, 200);
      const trailer = frames(new Uint8Array(await res.arrayBuffer())).find((f) => f.flags === 0x80);
      assert.ok(trailer, "a trailer frame");
      const text = trailer.data.toString("latin1");
      assert.match(text, /^grpc-status: ?3\r?$/m, text);
      assertNoInternals(decodeURIComponent(text));
    });
  });

  describe("gRPC from @grpc/grpc-js over h2c", () => {
    let client: grpc.Client;
    before(() => {
      client = new grpc.Client(new URL(t.url).host, grpc.credentials.createInsecure(), { "grpc.enable_http_proxy": 0 });
    });
    after(() => client?.close());

    function unary<I extends DescMessage, O extends DescMessage>(
      path: string,
      input: I,
      output: O,
      request: MessageShape<I>,
      metadata = new grpc.Metadata(),
    ): Promise<MessageShape<O>> {
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          path,
          (m: MessageShape<I>) => Buffer.from(toBinary(input, m)),
          (b: Buffer) => fromBinary(output, b),
          request,
          metadata,
          {},
          (error, response) => (error || !response ? reject(error ?? new Error("no response")) : resolve(response)),
        );
      });
    }
    const login = AuthService.method.login;
    const whoAmI = AuthService.method.whoAmI;
    const statusOf = (promise: Promise<unknown>) =>
      promise.then(
        () => assert.fail("expected the call to fail"),
        (e: grpc.ServiceError) => e,
      );

    it("logs in and calls WhoAmI with the token in metadata", async () => {
      const res = await unary(
        "/raworc.v1.AuthService/Login",
        login.input,
        login.output,
        create(login.input, { username: "admin", password: t.adminPassword }),
      );
      const metadata = new grpc.Metadata();
      metadata.set("authorization", `Bearer ${res.token}`);
      const me = await unary("/raworc.v1.AuthService/WhoAmI", whoAmI.input, whoAmI.output, create(whoAmI.input), metadata);
      assert.equal(me.principal?.name, "admin");
    });

    it("gets UNAUTHENTICATED for a wrong password, with a message free of internals", async () => {
      const request = create(login.input, { username: "admin", password: "wrong-password" });
      const error = await statusOf(unary("/raworc.v1.AuthService/Login", login.input, login.output, request));
      assert.equal(error.code, grpc.status.UNAUTHENTICATED);
      assertNoInternals(error.details);
    });

    it("gets INVALID_ARGUMENT for a request that is not valid protobuf", async () => {
      const error = await statusOf(
        new Promise((resolve, reject) => {
          client.makeUnaryRequest(
            "/raworc.v1.AuthService/Login",
            () => Buffer.from(garbage),
            (b: Buffer) => b,
            {},
            new grpc.Metadata(),
            {},
            (e, r) => (e ? reject(e) : resolve(r)),
          );
        }),
      );
      assert.equal(error.code, grpc.status.INVALID_ARGUMENT, error.details);
      assertNoInternals(error.details);
    });

    it("gets UNIMPLEMENTED for a method the server does not have", async () => {
      const error = await statusOf(unary("/raworc.v1.AuthService/NoSuchMethod", whoAmI.input, whoAmI.output, create(whoAmI.input)));
      assert.equal(error.code, grpc.status.UNIMPLEMENTED);
    });

    it("checks health: SERVING for the server and for AuthService, NOT_FOUND for an unknown service", async () => {
      const check = (service: string) =>
        unary("/grpc.health.v1.Health/Check", HealthCheckRequestSchema, HealthCheckResponseSchema, create(HealthCheckRequestSchema, { service }));
      assert.equal((await check("")).status, Serving.SERVING);
      assert.equal((await check(AuthService.typeName)).status, Serving.SERVING);
      assert.equal((await statusOf(check("no.such.Service"))).code, grpc.status.NOT_FOUND);
    });

    it("watches health as a server stream that opens with SERVING", async () => {
      const call = client.makeServerStreamRequest(
        "/grpc.health.v1.Health/Watch",
        (m: MessageShape<typeof HealthCheckRequestSchema>) => Buffer.from(toBinary(HealthCheckRequestSchema, m)),
        (b: Buffer) => fromBinary(HealthCheckResponseSchema, b),
        create(HealthCheckRequestSchema, { service: "" }),
      );
      const ended = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
      call.on("error", () => {}); // cancelling below surfaces as a CANCELLED error, which is the point
      const [first] = (await once(call, "data")) as [MessageShape<typeof HealthCheckResponseSchema>];
      assert.equal(first.status, Serving.SERVING);
      call.cancel();
      assert.equal((await ended).code, grpc.status.CANCELLED);
    });
  });

  describe("gRPC from Python's grpcio (Debian python3-grpcio)", () => {
    it("logs in, calls WhoAmI with metadata, and gets UNAUTHENTICATED for a wrong password", async function () {
      if (!(await pythonGrpcAvailable())) {
        // Mocha's skip takes no reason; the title is what the run prints for a skipped test.
        if (this.test) this.test.title += ` — skipped: ${pythonGrpcMissing}`;
        this.skip();
      }
      const descriptorSet = await writeDescriptorSet(raworcFiles, join(tmp, "raworc.binpb"));
      const call = (method: string, request: unknown, headers: string[] = []) =>
        callFromPython({ url: t.url, descriptorSet, method, request, headers });

      const loggedIn = await call("raworc.v1.AuthService/Login", { username: "admin", password: t.adminPassword });
      assert.ok(loggedIn.ok, JSON.stringify(loggedIn));
      const pyToken = loggedIn.response.token;
      assert.ok(typeof pyToken === "string" && pyToken.length > 0, JSON.stringify(loggedIn));
      assert.equal((loggedIn.response.principal as { name: string }).name, "admin");

      const me = await call("raworc.v1.AuthService/WhoAmI", {}, [`authorization: Bearer ${pyToken}`]);
      assert.ok(me.ok, JSON.stringify(me));
      assert.equal((me.response.principal as { name: string }).name, "admin");

      const wrong = await call("raworc.v1.AuthService/Login", { username: "admin", password: "wrong-password" });
      assert.ok(!wrong.ok, JSON.stringify(wrong));
      assert.equal(wrong.code, "UNAUTHENTICATED");
      assertNoInternals(wrong.details);
    });
  });

  describe("health and reflection, as buf curl sees them", () => {
    const curl = async (...args: string[]) => {
      try {
        const { stdout } = await runFile(buf, ["curl", ...args], { timeout: 60_000 });
        return { exit: 0, stdout, stderr: "" };
      } catch (error) {
        const e = error as { code?: unknown; stdout?: string; stderr?: string };
        if (typeof e.code !== "number") throw error;
        return { exit: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
      }
    };
    const ok = (r: { exit: number; stdout: string; stderr: string }) => {
      assert.equal(r.exit, 0, r.stderr);
      return r.stdout;
    };

    it("checks health over gRPC, finding the schema by reflection", async () => {
      const out = ok(await curl("--protocol", "grpc", "--http2-prior-knowledge", `${t.url}/grpc.health.v1.Health/Check`));
      assert.deepEqual(JSON.parse(out), { status: "SERVING" });
    });

    for (const reflect of ["grpc-v1", "grpc-v1alpha"]) {
      it(`lists services and methods through reflection ${reflect}`, async () => {
        const base = ["--protocol", "grpc", "--http2-prior-knowledge", "--reflect-protocol", reflect];
        const services = ok(await curl(...base, "--list-services", t.url)).trim().split("\n");
        for (const s of ["raworc.v1.AuthService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]) {
          assert.ok(services.includes(s), `${s} in ${services.join(", ")}`);
        }
        const methods = ok(await curl(...base, "--list-methods", t.url)).trim().split("\n");
        assert.ok(methods.includes("raworc.v1.AuthService/Login"), methods.join(", "));
      });

      it(`logs in and calls WhoAmI through reflection ${reflect}`, async () => {
        const base = ["--protocol", "grpc", "--http2-prior-knowledge", "--reflect-protocol", reflect];
        const data = JSON.stringify({ username: "admin", password: t.adminPassword });
        const res = JSON.parse(ok(await curl(...base, "-d", data, `${t.url}/raworc.v1.AuthService/Login`))) as { token: string };
        assert.match(res.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
        const me = JSON.parse(
          ok(await curl(...base, "-H", `authorization: Bearer ${res.token}`, `${t.url}/raworc.v1.AuthService/WhoAmI`)),
        ) as { principal: { name: string } };
        assert.equal(me.principal.name, "admin");
      });
    }

    it("reports a failed RPC with the gRPC code in its exit status, as buf curl documents", async () => {
      const r = await curl("--protocol", "grpc", "--http2-prior-knowledge", `${t.url}/raworc.v1.AuthService/WhoAmI`);
      assert.equal(r.exit, Code.Unauthenticated << 3, r.stderr);
      assert.match(r.stderr, /unauthenticated/i);
      assertNoInternals(r.stderr);
    });

    it("calls Login over the Connect protocol too, buf curl's default", async () => {
      const data = JSON.stringify({ username: "admin", password: t.adminPassword });
      const res = JSON.parse(ok(await curl("-d", data, `${t.url}/raworc.v1.AuthService/Login`))) as { token: string };
      assert.ok(res.token);
    });
  });

  describe("reflection, called directly (connect-node gRPC client, bidi stream over HTTP/2)", () => {
    const requests = [
      { host: "", messageRequest: { case: "listServices" as const, value: "*" } },
      { host: "", messageRequest: { case: "fileContainingSymbol" as const, value: "raworc.v1.AuthService" } },
      { host: "", messageRequest: { case: "fileContainingSymbol" as const, value: "raworc.v1.AuthService.Login" } },
      { host: "", messageRequest: { case: "fileByFilename" as const, value: "raworc/v1/auth.proto" } },
      { host: "", messageRequest: { case: "fileContainingSymbol" as const, value: "raworc.v1.NoSuchThing" } },
    ];

    it("answers every question on one stream, in order (v1)", async () => {
      const client = createClient(ReflectionV1, createGrpcTransport({ baseUrl: t.url, sessionManager: h2() }));
      const answers = [];
      for await (const res of client.serverReflectionInfo(createAsyncIterable(requests))) answers.push(res.messageResponse);
      assert.equal(answers.length, requests.length);
      const [list, bySymbol, byMethod, byFile, unknown] = answers;

      assert.equal(list?.case, "listServicesResponse");
      const names = list.value.service.map((s) => s.name);
      assert.ok(names.includes("raworc.v1.AuthService") && names.includes("grpc.health.v1.Health"), names.join(", "));

      for (const answer of [bySymbol, byMethod, byFile]) {
        assert.equal(answer?.case, "fileDescriptorResponse");
        const files = answer.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b));
        const fileNames = files.map((f) => f.name);
        for (const n of ["raworc/v1/auth.proto", "google/protobuf/timestamp.proto", "buf/validate/validate.proto"]) {
          assert.ok(fileNames.includes(n), `${n} in ${fileNames.join(", ")}`);
        }
        const auth = files.find((f) => f.name === "raworc/v1/auth.proto");
        assert.ok(auth?.service.some((s) => s.name === "AuthService" && s.method.some((m) => m.name === "Login")));
      }

      assert.equal(unknown?.case, "errorResponse");
      assert.equal(unknown.value.errorCode, 5, "NOT_FOUND, as a number on the wire");
    });

    it("answers v1alpha the same way", async () => {
      const client = createClient(ReflectionV1alpha, createGrpcTransport({ baseUrl: t.url, sessionManager: h2() }));
      const answers = [];
      for await (const res of client.serverReflectionInfo(createAsyncIterable(requests.slice(0, 2)))) answers.push(res.messageResponse);
      assert.equal(answers[0]?.case, "listServicesResponse");
      assert.ok(answers[0].value.service.some((s) => s.name === "raworc.v1.AuthService"));
      assert.equal(answers[1]?.case, "fileDescriptorResponse");
    });
  });

  describe("plain HTTP endpoints", () => {
    it("GET /healthz answers 200 {status: ok} while the database is reachable", async () => {
      const res = await fetch(`${t.url}/healthz`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: "ok" });
    });

    it("GET /metrics serves Prometheus text with a latency sample for each method called", async () => {
      await clientOf(AuthService, t.url, token).whoAmI({});
      assert.equal(await codeOf(clientOf(AuthService, t.url).whoAmI({})), Code.Unauthenticated);
      const res = await fetch(`${t.url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
      const text = await res.text();
      assert.match(text, /^# TYPE raworc_rpc_duration_seconds histogram$/m);
      const count = (method: string, code: string) => {
        const line = text
          .split("\n")
          .find(
            (l) =>
              l.startsWith("raworc_rpc_duration_seconds_count{") &&
              l.includes('service="raworc.v1.AuthService"') &&
              l.includes(`method="${method}"`) &&
              l.includes(`code="${code}"`),
          );
        return line ? Number(line.split(" ").pop()) : 0;
      };
      assert.ok(count("WhoAmI", "OK") >= 1, "WhoAmI/OK is counted");
      assert.ok(count("Login", "OK") >= 1, "Login/OK is counted");
      assert.ok(count("WhoAmI", "Unauthenticated") >= 1, "failures are counted under their code");
    });

    it("answers an unknown path with 404", async () => {
      assert.equal((await fetch(`${t.url}/no/such/path`)).status, 404);
      assert.equal((await fetch(`${t.url}/raworc.v1.AuthService/NoSuchMethod`, { method: "POST", body: "{}" })).status, 404);
    });
  });
});
