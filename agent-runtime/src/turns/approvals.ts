/**
 * Pending human approvals of tool calls. A turn that needs one waits on the broker; the
 * ApprovalDecision work item answers it (a decision for no pending call is ignored); the wait
 * also ends when it times out (a denial) or the turn's signal aborts (cancel, budget).
 */
import type { Principal } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import type { ApprovalDecision } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";

/** How a wait for approval ended. */
export type ApprovalAnswer =
  | { readonly outcome: "approved" | "denied"; readonly reason: string; readonly decidedBy: Principal | undefined }
  | { readonly outcome: "timed_out" | "cancelled"; readonly reason: string };

/** Holds the calls waiting for approval, by tool call id. */
export class ApprovalBroker {
  private readonly waiting = new Map<string, (answer: ApprovalAnswer) => void>();

  /** Waits for the decision on `toolCallId`, at most `timeoutMs`, or until `signal` aborts. */
  wait(toolCallId: string, timeoutMs: number, signal: AbortSignal): Promise<ApprovalAnswer> {
    return new Promise((resolve) => {
      const settle = (answer: ApprovalAnswer) => {
        if (this.waiting.get(toolCallId) !== settle) return;
        this.waiting.delete(toolCallId);
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        resolve(answer);
      };
      const onAbort = () => settle({ outcome: "cancelled", reason: "the turn stopped while the call waited for approval" });
      this.waiting.set(toolCallId, settle);
      const timer = setTimeout(() => settle({ outcome: "timed_out", reason: `nobody answered within ${Math.round(timeoutMs / 1000)} s` }), timeoutMs);
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Answers a pending call; false (and nothing happens) when no call with that id waits. */
  decide(decision: Pick<ApprovalDecision, "toolCallId" | "approve" | "reason" | "decidedBy">): boolean {
    const settle = this.waiting.get(decision.toolCallId);
    if (!settle) return false;
    settle({ outcome: decision.approve ? "approved" : "denied", reason: decision.reason, decidedBy: decision.decidedBy });
    return true;
  }

  /** The ids of the calls waiting now. */
  get pending(): string[] {
    return [...this.waiting.keys()];
  }
}
