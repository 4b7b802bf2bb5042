/**
 * Renders timeline items. Everything from the session (agent replies, tool arguments and
 * output, reasons, logs) is untrusted and goes into the page as text nodes only: no HTML, no
 * Markdown, no links made from it.
 */
import { ApprovalOutcomeSchema, GuardrailActionSchema, GuardrailStageSchema, LogLevelSchema, SessionStateSchema, ToolCallStatusSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { enumName, usageText } from "../format.js";
import type { TimelineItem } from "./timeline.js";

/** Tool arguments indented for reading when they are JSON, as they came otherwise. */
function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

/** Approve or deny a waiting tool call. */
export type Decide = (toolCallId: string, approve: boolean) => void;

function Item({ item, pending, decide }: { item: TimelineItem; pending: ReadonlySet<string>; decide: Decide }) {
  switch (item.kind) {
    case "user":
      return (
        <div class="msg user">
          <div class="who">{item.sender || "user"}</div>
          <div class="text">{item.text}</div>
        </div>
      );
    case "reply":
      return (
        <div class="msg agent" data-turn={item.turn}>
          <div class="who">{item.agent}</div>
          <div class="text">{item.text}</div>
        </div>
      );
    case "tool":
      return (
        <details class={`tool status-${item.status === undefined ? "running" : enumName(ToolCallStatusSchema, item.status).toLowerCase()}`}>
          <summary>
            <span class="tag">tool</span> {item.tool} <span class="muted">{item.status === undefined ? "running" : enumName(ToolCallStatusSchema, item.status)}</span>
          </summary>
          <pre class="args">{pretty(item.args)}</pre>
          {item.output && <pre class="output">{item.output}</pre>}
          {item.truncated && <p class="muted">output truncated</p>}
          {item.error && <p class="error">{item.error}</p>}
        </details>
      );
    case "approval": {
      const waiting = item.outcome === undefined && pending.has(item.id);
      return (
        <div class="approval" data-tool-call={item.id}>
          <div>
            <span class="tag warn">approval</span> {item.tool} <span class="muted">{item.reason}</span>
          </div>
          <pre class="args">{pretty(item.args)}</pre>
          {waiting ? (
            <div class="actions">
              <button type="button" onClick={() => decide(item.id, true)}>
                Approve
              </button>
              <button type="button" class="danger" onClick={() => decide(item.id, false)}>
                Deny
              </button>
            </div>
          ) : (
            <div class="muted">{item.outcome === undefined ? "no longer waiting" : `${enumName(ApprovalOutcomeSchema, item.outcome)}${item.decidedBy ? ` by ${item.decidedBy}` : ""}`}</div>
          )}
        </div>
      );
    }
    case "guardrail":
      return (
        <div class="line guardrail">
          <span class="tag">guardrail</span> {enumName(GuardrailStageSchema, item.stage)} {enumName(GuardrailActionSchema, item.action)} <span class="muted">{item.rule}</span> {item.reason}
        </div>
      );
    case "usage":
      return (
        <div class="line usage muted">
          {item.model}: {usageText(item.usage)}
        </div>
      );
    case "turn-start":
      return <div class="line turn">{`turn ${item.turn} · ${item.agent}`}</div>;
    case "turn-end":
      return (
        <div class={`line turn-end ${item.outcome}`}>
          {`turn ${item.turn} ${item.outcome}`} <span class="muted">{[item.reason, item.message, usageText(item.usage)].filter(Boolean).join(" · ")}</span>
        </div>
      );
    case "state":
      return (
        <div class="line transition muted">
          {`${enumName(SessionStateSchema, item.from)} → ${enumName(SessionStateSchema, item.to)}`} {item.reason} {item.message}
        </div>
      );
    case "handoff":
      return <div class="line handoff">{`${item.from} handed off to ${item.to}: ${item.message}`}</div>;
    case "log":
      return <div class={`line log level-${enumName(LogLevelSchema, item.level).toLowerCase()}`}>{`[${item.source}] ${item.message}`}</div>;
  }
}

/** The session's timeline. */
export function TimelineView({ items, pending, decide }: { items: readonly TimelineItem[]; pending: ReadonlySet<string>; decide: Decide }) {
  return (
    <div class="timeline" aria-live="polite">
      {items.map((item) => (
        <Item key={String(item.seq)} item={item} pending={pending} decide={decide} />
      ))}
    </div>
  );
}
