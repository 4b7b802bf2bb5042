/** A session's turn history: each turn's message, outcome and usage, and "remix at this turn" where a checkpoint exists. */
import type { Turn } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { TurnOutcomeSchema } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { enumName, usageText } from "../format.js";

/** The history card. */
export function TurnHistory({ turns, onRemix }: { turns: readonly Turn[]; onRemix: (turn: number) => void }) {
  return (
    <div class="card history">
      <h2>History</h2>
      {turns.length === 0 && <p class="muted">No turns yet.</p>}
      <ol>
        {turns.map((t) => (
          <li key={t.number} data-turn={t.number}>
            <div>
              <strong>{`#${t.number}`}</strong> {t.summary}
            </div>
            <div class="muted">{`${enumName(TurnOutcomeSchema, t.outcome)} · ${t.agent} · ${usageText(t.usage)}`}</div>
            {t.checkpointId && (
              <button type="button" class="small" onClick={() => onRemix(t.number)}>
                Remix at this turn
              </button>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}
