/**
 * The committed OpenAPI document (proto/gen/openapi/raworc.json) is a valid OpenAPI 3.1
 * document, covers the API clients use, and its schemas accept the proto3 JSON the server
 * really sends and refuse what the server's validation refuses.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { create, toJson, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { raworcFiles } from "../../src/index.js";
import { SessionEventSchema, SessionState } from "../../gen/raworc/v1/event_pb.js";
import { RuntimeService } from "../../gen/raworc/v1/runtime_pb.js";
import { SessionSchema, WatchSessionResponseSchema } from "../../gen/raworc/v1/session_pb.js";

type Doc = { paths: Record<string, { post: Record<string, unknown> }>; components: { schemas: Record<string, Record<string, unknown>> } } & Record<string, unknown>;
const docUrl = new URL("../../gen/openapi/raworc.json", import.meta.url);

describe("the OpenAPI document of raworc.v1", () => {
  let doc: Doc;
  let ajv: Ajv2020;
  before(async () => {
    doc = JSON.parse(await readFile(docUrl, "utf8")) as Doc;
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addFormat("int64", /^-?[0-9]+$/).addFormat("uint64", /^[0-9]+$/).addFormat("int32", true).addFormat("double", true).addFormat("float", true);
    ajv.addSchema({ $id: "doc", components: doc.components });
  });
  const matches = (typeName: string, value: unknown) => ajv.validate({ $ref: `doc#/components/schemas/${typeName}` }, value);
  const json = <D extends DescMessage>(schema: D, init: MessageInitShape<D>) => toJson(schema, create(schema, init));

  it("is valid OpenAPI 3.1 (checked against the specification's schema)", async () => {
    const result = await new Validator().validate(doc);
    assert.deepEqual(result.errors, undefined);
    assert.equal(result.valid, true);
    assert.equal(doc.openapi, "3.1.0");
  });

  it("the YAML form says the same as the JSON form", async () => {
    const yaml = parse(await readFile(new URL("../../gen/openapi/raworc.yaml", import.meta.url), "utf8")) as unknown;
    assert.deepEqual(yaml, doc);
  });

  it("documents every client method as POST /<service>/<method> and leaves the daemons' RuntimeService out", () => {
    const expected = raworcFiles
      .flatMap((f) => f.services)
      .filter((s) => s.typeName !== RuntimeService.typeName)
      .flatMap((s) => s.methods.map((m) => `/${s.typeName}/${m.name}`))
      .sort();
    assert.deepEqual(Object.keys(doc.paths).sort(), expected);
    assert.ok(expected.length > 40, `only ${expected.length} methods`);
    assert.ok(!JSON.stringify(doc).includes("raworc.v1.RuntimeService"));
  });

  it("unary calls are JSON, WatchSession is a Connect stream, the .proto comments are the descriptions", () => {
    const create = doc.paths["/raworc.v1.SessionService/CreateSession"]!.post;
    assert.deepEqual(Object.keys((create.requestBody as { content: object }).content), ["application/json"]);
    assert.match(String(create.description), /^CreateSession creates a session \(PENDING\) and starts it/);
    assert.equal(create.summary, "CreateSession creates a session (PENDING) and starts it; its agents must exist in its namespace (NOT_FOUND otherwise).");
    const watch = doc.paths["/raworc.v1.SessionService/WatchSession"]!.post;
    assert.deepEqual(Object.keys((watch.requestBody as { content: object }).content), ["application/connect+json"]);
    assert.equal(watch["x-connect-streaming"], "server");
    assert.match(String(doc.components.schemas["raworc.v1.Session"]!.description), /^Session is a running instance of agents/);
  });

  it("every call needs the bearer token except Login; errors are Connect error bodies", () => {
    assert.deepEqual(doc.security, [{ bearer: [] }]);
    assert.deepEqual(doc.paths["/raworc.v1.AuthService/Login"]!.post.security, []);
    assert.equal(doc.paths["/raworc.v1.AuthService/WhoAmI"]!.post.security, undefined);
    assert.deepEqual(doc.components.schemas["connect.Error"]!.required, ["code"]);
    const responses = doc.paths["/raworc.v1.AgentService/GetAgent"]!.post.responses as Record<string, { content: Record<string, { schema: unknown }> }>;
    assert.deepEqual(responses.default!.content["application/json"]!.schema, { $ref: "#/components/schemas/connect.Error" });
  });

  it("accepts the proto3 JSON of a real session: int64 as strings, enums by name, timestamps, maps", () => {
    const session = json(SessionSchema, {
      metadata: { namespace: "default", name: "s1", labels: { team: "a" }, createdAt: timestampFromDate(new Date()) },
      spec: { agents: ["greeter"], idleTimeout: { seconds: 90n, nanos: 500_000_000 } },
      status: { state: SessionState.READY, lastEventSeq: 9007199254740993n, turnCount: 3, usage: { inputTokens: 12n, costUsd: 0.25 } },
    });
    assert.equal((session as { status: { lastEventSeq: unknown } }).status.lastEventSeq, "9007199254740993");
    assert.ok(matches("raworc.v1.Session", session), ajv.errorsText());
    assert.ok(!matches("raworc.v1.Session", { ...(session as object), status: { state: 3 } }), "enums are documented by name");
    assert.ok(!matches("raworc.v1.Session", { ...(session as object), status: { lastEventSeq: 12.5 } }), "int64 is a string");
  });

  it("a oneof takes at most one member; a required oneof exactly one", () => {
    const event = json(SessionEventSchema, { seq: 4n, payload: { case: "textDelta", value: { text: "hi" } } });
    assert.ok(matches("raworc.v1.SessionEvent", event), ajv.errorsText());
    assert.ok(!matches("raworc.v1.SessionEvent", { ...(event as object), log: { message: "x" } }), "two members of a oneof");
    assert.ok(!matches("raworc.v1.SessionEvent", { seq: "4" }), "the payload oneof is required");
    assert.ok(matches("raworc.v1.WatchSessionResponse", json(WatchSessionResponseSchema, {})), "an optional oneof may be empty");
  });

  it("validation rules become schema constraints where JSON Schema can state them", () => {
    const request = (agents: unknown) => ({ session: { metadata: { namespace: "default" }, spec: { agents } } });
    assert.ok(matches("raworc.v1.CreateSessionRequest", request(["greeter"])), ajv.errorsText());
    assert.ok(!matches("raworc.v1.CreateSessionRequest", request(["Not_A_Name"])), "agent name pattern");
    assert.ok(!matches("raworc.v1.CreateSessionRequest", request([])), "min_items");
    assert.ok(!matches("raworc.v1.CreateSessionRequest", request(["a", "a"])), "unique");
    assert.ok(!matches("raworc.v1.CreateSessionRequest", { session: { metadata: { namespace: "default" } } }), "spec is required");
    assert.ok(!matches("raworc.v1.ListSessionsRequest", { states: ["SESSION_STATE_UNSPECIFIED"] }), "enum not_in");
    assert.ok(!matches("raworc.v1.ListSessionsRequest", { pageSize: 1001 }), "int32 lte");
    assert.ok(matches("raworc.v1.ListAuditEventsRequest", { result: "PERMISSION_DENIED" }), ajv.errorsText());
    assert.ok(matches("raworc.v1.ListAuditEventsRequest", { result: "" }), "string.in with IGNORE_IF_ZERO_VALUE lets the empty value through");
    assert.ok(!matches("raworc.v1.ListAuditEventsRequest", { result: "NOPE" }), "string.in");
    const login = doc.components.schemas["raworc.v1.LoginRequest"] as { properties: Record<string, Record<string, unknown>> };
    assert.deepEqual([login.properties.username!.minLength, login.properties.username!.maxLength], [1, 128]);
    assert.match(JSON.stringify(doc.components.schemas["raworc.v1.CreateSessionRequest"]), /Rule session\.namespace_required: metadata\.namespace is required/, "CEL rules in words");
  });
});
