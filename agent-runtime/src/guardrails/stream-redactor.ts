/**
 * Output guardrails applied to reply text WHILE it streams: each delta joins a pending buffer
 * that is checked against the deny patterns and redacted, and everything but a tail is released.
 * The tail (the policy's holdback: what could begin a secret, or a window when patterns are
 * active) is kept back, and never cut inside a redaction, so a secret or a deny match split
 * across two deltas is caught before any part of it is emitted; `flush` releases the tail when
 * the model call ends. With no pattern and no secret that could be starting, text passes at once.
 */
import { applyHits, type OutputPolicy } from "./output-policy.js";
import type { RulePattern } from "./rule-patterns.js";

/** What one step of the stream released. */
export interface StreamStep {
  /** Text to emit now (already redacted); may be "". */
  readonly text: string;
  /** Rules that redacted something in it, with their reasons. */
  readonly redactions: ReadonlyMap<string, string>;
  /** The deny rule that matched: nothing more may be emitted and the turn fails. */
  readonly denied?: RulePattern;
}

/** Filters one model call's reply text. */
export class StreamRedactor {
  private pending = "";

  constructor(private readonly policy: OutputPolicy) {}

  /** Takes a delta; returns what may be emitted now. */
  push(delta: string): StreamStep {
    this.pending += delta;
    return this.release(false);
  }

  /** Releases whatever is held back (the model call ended). */
  flush(): StreamStep {
    return this.release(true);
  }

  private release(all: boolean): StreamStep {
    const denied = this.policy.denied(this.pending);
    if (denied) {
      this.pending = "";
      return { text: "", redactions: new Map(), denied };
    }
    const hits = this.policy.find(this.pending);
    let cut = all ? this.pending.length : Math.max(0, this.pending.length - this.policy.holdback(this.pending));
    const before = this.pending.charCodeAt(cut - 1);
    if (cut > 0 && cut < this.pending.length && before >= 0xd800 && before <= 0xdbff) cut--;
    // Never cut inside a redaction (its marker goes out whole, later) or a surrogate pair.
    for (let moved = true; moved && cut > 0; ) {
      moved = false;
      for (const hit of hits) {
        if (hit.start < cut && hit.end > cut) {
          cut = hit.start;
          moved = true;
        }
      }
    }
    const released = hits.filter((hit) => hit.end <= cut);
    const text = applyHits(this.pending.slice(0, cut), released);
    this.pending = this.pending.slice(cut);
    const redactions = new Map<string, string>();
    for (const hit of released) if (!redactions.has(hit.rule)) redactions.set(hit.rule, hit.reason);
    return { text, redactions };
  }
}
