import assert from "node:assert/strict";
import { resolve } from "node:path";
import { parseClaimedConfig, parseDaemonConfig } from "./config.js";
import { UsageError } from "./errors.js";

const argv = ["--control-plane", "https://cp.example:9000", "--session-id", "5f0c", "--workspace", "ws"];

describe("daemon configuration", () => {
  it("takes the URL, session and workspace from flags and the token from the environment", () => {
    const config = parseDaemonConfig(argv, { RAWORC_SESSION_TOKEN: "tok" });
    assert.deepEqual(config, {
      controlPlaneUrl: "https://cp.example:9000",
      sessionId: "5f0c",
      workspace: resolve("ws"),
      token: "tok",
      logLevel: "info",
      signalGraceMs: 5000,
      traces: false,
    });
  });

  it("refuses a token on the command line, where ps would show it", () => {
    assert.throws(() => parseDaemonConfig([...argv, "--token", "tok"], { RAWORC_SESSION_TOKEN: "tok" }), UsageError);
  });

  it("names what is missing or wrong, one line plus usage", () => {
    assert.throws(() => parseDaemonConfig(argv, {}), /RAWORC_SESSION_TOKEN is not set/);
    assert.throws(() => parseDaemonConfig(argv.slice(2), { RAWORC_SESSION_TOKEN: "t" }), /--control-plane is required/);
    assert.throws(() => parseDaemonConfig(["--control-plane", "ftp://x", ...argv.slice(2)], { RAWORC_SESSION_TOKEN: "t" }), /http:\/\/ or https:\/\//);
    assert.throws(() => parseDaemonConfig(argv, { RAWORC_SESSION_TOKEN: "t", RAWORC_LOG_LEVEL: "loud" }), /RAWORC_LOG_LEVEL/);
    assert.throws(() => parseDaemonConfig(argv, { RAWORC_SESSION_TOKEN: "t", RAWORC_SHUTDOWN_GRACE_MS: "soon" }), /RAWORC_SHUTDOWN_GRACE_MS/);
    assert.throws(() => parseDaemonConfig(argv, { RAWORC_SESSION_TOKEN: "t", RAWORC_TRACES: "otlp" }), /RAWORC_TRACES must be "attach" or unset/);
  });
});

describe("daemon configuration from a warm-pool claim", () => {
  const claim = { controlPlaneUrl: "http://127.0.0.1:9000", sessionId: "5f0c", workspace: "ws", token: "claimed" };

  it("takes the session, workspace and token from the claim and the tuning from the environment", () => {
    const config = parseClaimedConfig(claim, { RAWORC_SESSION_TOKEN: "from-env", RAWORC_LOG_LEVEL: "warn", RAWORC_TRACES: "attach" });
    assert.deepEqual(config, { ...claim, workspace: resolve("ws"), logLevel: "warn", signalGraceMs: 5000, traces: true });
  });

  it("refuses a claim without a token or with a bad URL, naming the field", () => {
    assert.throws(() => parseClaimedConfig({ ...claim, token: undefined }, { RAWORC_SESSION_TOKEN: "from-env" }), UsageError);
    assert.throws(() => parseClaimedConfig({ ...claim, controlPlaneUrl: 42 }, {}), /--control-plane/);
  });
});
