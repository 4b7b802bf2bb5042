/** Plain-text formatting of API values for display. */
import type { DescEnum } from "@bufbuild/protobuf";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Usage } from "@raworc/proto/gen/raworc/v1/event_pb.js";

/** An enum value's name without its type prefix, e.g. SESSION_STATE_READY → READY. */
export function enumName(desc: DescEnum, value: number): string {
  return desc.value[value]?.localName ?? String(value);
}

/** A timestamp as local date and time, or "-". */
export function when(ts: Timestamp | undefined): string {
  return ts ? timestampDate(ts).toLocaleString() : "-";
}

/** Token counts and cost, e.g. "1,204 in · 310 out · $0.0123". */
export function usageText(usage: Usage | undefined): string {
  if (!usage) return "-";
  const n = (v: bigint) => Number(v).toLocaleString();
  const cost = usage.costUsd > 0 ? ` · $${usage.costUsd.toFixed(4)}` : "";
  return `${n(usage.inputTokens)} in · ${n(usage.outputTokens)} out${cost}`;
}
