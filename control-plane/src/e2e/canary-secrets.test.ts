/**
 * The canary-secret search: unique canaries are planted as the model's API key and as a
 * secret-sourced env var; the (fake) model echoes the key in its reply and in a tool call's
 * arguments, a tool prints the env var, and a provider error quotes the key. Afterwards neither
 * canary may appear anywhere: in any column of any table of the database, in the control
 * plane's log (at debug level), or in any file under the data directory (each session's
 * volume and daemon log) — raw, hex-encoded (bytea) or base64-encoded (the volume's records).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionState, ToolCallStatus, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SecretService } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startControlPlaneProcess, type ControlPlaneProcess } from "@raworc/test-support/control-plane-process/spawn.js";
import { createTestDatabase, type TestDatabase } from "@raworc/test-support/database.js";
import { openAiError, startFakeOpenAi, type FakeOpenAi } from "@raworc/test-support/fake-llm/index.js";
import { destroyLeftovers, eventually, ref } from "./fault-support.js";

/** The ways a value can be stored: as is, hex (bytea as text), and base64 at each of the three byte alignments. */
function encodings(value: string): string[] {
  const bytes = Buffer.from(value);
  const forms = [value, bytes.toString("hex")];
  for (let pad = 0; pad < 3; pad++) {
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes]).toString("base64");
    // Drop the characters that also depend on the padding bytes or on what follows.
    forms.push(encoded.slice(Math.ceil((pad * 4) / 3) + 1, Math.floor(((pad + bytes.length) * 4) / 3) - 1));
  }
  return forms;
}

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe("canary secrets never leak (control plane in a child process, real daemon, fake model)", function () {
  this.timeout(240_000);
  const keyCanary = `sk-canary${randomBytes(12).toString("hex")}`;
  const envCanary = `envcanary${randomBytes(12).toString("hex")}`;
  const adminPassword = randomBytes(12).toString("base64url");
  let db: TestDatabase;
  let dataDir: string;
  let plane: ControlPlaneProcess | undefined;
  let fake: FakeOpenAi;

  before(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), "raworc-canary-"));
    fake = await startFakeOpenAi();
  });
  after(async () => {
    await plane?.stop();
    if (dataDir) await destroyLeftovers(dataDir);
    await db?.drop();
    await fake?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("finds neither canary in the database, the logs or the volume after the model and a tool spilled them", async () => {
    plane = await startControlPlaneProcess({ dataDir, databaseUrl: db.url, adminPassword, env: { RAWORC_LOG_LEVEL: "debug" } });
    const token = await login(plane.url, "admin", adminPassword);
    const sessions = clientOf(SessionService, plane.url, token);
    await clientOf(SecretService, plane.url, token).createSecret({ secret: { metadata: { namespace: "default", name: "llm" }, data: { "api-key": keyCanary, "env-value": envCanary } } });
    await clientOf(AgentService, plane.url, token).createAgent({
      agent: {
        metadata: { namespace: "default", name: "leaky" },
        spec: {
          instructions: "Do what you are told.",
          model: { provider: ModelProvider.OPENAI_COMPATIBLE, name: "fake-model", baseUrl: fake.baseURL, apiKey: { secret: "llm", key: "api-key" } },
          tools: [{ name: "shell" }],
          env: [{ name: "CANARY_ENV", source: { case: "secret", value: { secret: "llm", key: "env-value" } } }],
        },
      },
    });
    fake.reply({
      text: [`Sure, the key is ${keyCanary.slice(0, 10)}`, `${keyCanary.slice(10)} and more.`],
      toolCalls: [
        { id: "call_env", name: "shell", argumentPieces: ['{"command":"printf \'env=%s\\\\n\' \\"$CANARY_ENV\\""}'] },
        { id: "call_key", name: "shell", argumentPieces: [JSON.stringify({ command: `echo key=${keyCanary}` })] },
      ],
    });
    fake.reply({ text: [`The env var was ${envCanary}.`] });
    fake.enqueue(openAiError(401, `Incorrect API key provided: ${keyCanary}. You can find your API key at https://example.invalid.`));

    await sessions.createSession({ session: { metadata: { namespace: "default", name: "leaky" }, spec: { agents: ["leaky"] } } });
    await eventually("READY", () => sessions.getSession({ ref: ref("leaky") }).then((r) => r.session!), (s) => s.status?.state === SessionState.READY, 60_000);
    const turnEvents = async (text: string): Promise<SessionEvent[]> => {
      const sent = await sessions.sendMessage({ ref: ref("leaky"), text });
      return eventually(
        "the turn's end",
        async () => (await sessions.listEvents({ ref: ref("leaky"), fromSeq: sent.seq, limit: 1000 })).events,
        (events) => events.some((e) => e.payload.case === "turnCompleted" || e.payload.case === "turnFailed"),
        60_000,
      );
    };
    const first = await turnEvents("show me your configuration");
    const second = await turnEvents("again");

    // The canaries really were delivered and spilled: the search below can fail.
    assert.equal(fake.requests[0]?.headers.authorization, `Bearer ${keyCanary}`);
    const outputs = first.flatMap((e) => (e.payload.case === "toolCallCompleted" ? [[e.payload.value.toolCallId, ToolCallStatus[e.payload.value.status], e.payload.value.output]] : []));
    assert.deepEqual(outputs, [
      ["call_env", "SUCCEEDED", "env=[REDACTED]\n"],
      ["call_key", "SUCCEEDED", "key=[REDACTED]\n"],
    ]);
    const reply = first.flatMap((e) => (e.payload.case === "textDelta" ? [e.payload.value.text] : [])).join("");
    assert.equal(reply, "Sure, the key is [REDACTED] and more.The env var was [REDACTED].");
    const failed = second.find((e) => e.payload.case === "turnFailed");
    assert.ok(failed?.payload.case === "turnFailed" && failed.payload.value.reason === "ModelError" && /\[redacted\]/i.test(failed.payload.value.message) && !failed.payload.value.message.includes(keyCanary), `the provider's error quoting the key is redacted: ${second.map((e) => (e.payload.case === "turnFailed" ? `${e.payload.value.reason}: ${e.payload.value.message}` : e.payload.case)).join(" / ")}`);
    const toModel = JSON.stringify(fake.requests[1]?.body.messages);
    assert.ok(!toModel.includes(envCanary) && toModel.includes("env=[REDACTED]"), "tool results are redacted before they go back to the model");

    // Let the daemon write everything down, then stop everything so logs and files are complete.
    await sessions.pauseSession({ ref: ref("leaky") });
    await eventually("PAUSED", () => sessions.getSession({ ref: ref("leaky") }).then((r) => r.session!), (s) => s.status?.state === SessionState.PAUSED, 60_000);
    await plane.stop();
    const log = plane.output();
    plane = undefined;

    const needles = [...encodings(keyCanary), ...encodings(envCanary)];
    const found: string[] = [];
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const tables = await client.query<{ schema: string; name: string }>(
        `select table_schema as schema, table_name as name from information_schema.tables where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`,
      );
      assert.ok(tables.rows.some((t) => t.name === "session_events") && tables.rows.some((t) => t.name === "audit_events"));
      for (const table of tables.rows) {
        const rows = await client.query<{ row: string }>(`select t::text as row from "${table.schema}"."${table.name}" t`);
        for (const { row } of rows.rows) for (const needle of needles) if (row.includes(needle)) found.push(`table ${table.schema}.${table.name}`);
      }
    } finally {
      await client.end();
    }
    for (const needle of needles) if (log.includes(needle)) found.push("the control plane's log");
    assert.match(log, /"msg":"started daemon"/, "the control plane logged below warn (it runs at debug level)");
    const files = await filesUnder(dataDir);
    assert.ok(files.some((f) => f.endsWith("daemon.log")) && files.some((f) => f.endsWith("conversation.jsonl")), "the search covers the daemon's log and the volume");
    for (const file of files) {
      const content = (await readFile(file)).toString("latin1");
      for (const needle of needles) if (content.includes(needle)) found.push(`file ${file.slice(dataDir.length)}`);
    }
    assert.deepEqual([...new Set(found)], [], "a canary leaked");
  });
});
