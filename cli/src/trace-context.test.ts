import assert from "node:assert/strict";
import { commandTraceparent } from "./trace-context.js";

describe("the CLI's traceparent", () => {
  it("continues a valid TRACEPARENT, ignores a malformed one, and makes one only when OTEL_* asks", () => {
    const given = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    assert.equal(commandTraceparent({ TRACEPARENT: given }), given);
    assert.equal(commandTraceparent({ TRACEPARENT: "00-zz-not-a-trace-01" }), undefined);
    assert.equal(commandTraceparent({}), undefined);
    const fresh = commandTraceparent({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" });
    assert.match(fresh ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.equal(commandTraceparent({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }), fresh, "one trace per command");
    assert.equal(commandTraceparent({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://x", OTEL_SDK_DISABLED: "true" }), undefined);
  });
});
