/**
 * One session: its live stream with approvals, a message box and cancel; beside it the state,
 * usage and lineage, the turn history with "remix at this turn", and the files view's place.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Session, Turn } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { SessionStateSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { api, errorText } from "../api.js";
import { enumName, usageText, when } from "../format.js";
import { ErrorLine } from "../pages/common.js";
import { href, navigate } from "../router.js";
import { followSession } from "./follow.js";
import { Timeline } from "./timeline.js";
import { TimelineView } from "./timeline-view.js";
import { TurnHistory } from "./turn-history.js";

function MessageBox({ onSend, onCancel, busy }: { onSend: (text: string) => Promise<void>; onCancel: () => void; busy: boolean }) {
  const [text, setText] = useState("");
  const send = async () => {
    if (!text.trim()) return;
    await onSend(text);
    setText("");
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <textarea
        name="message"
        rows={2}
        placeholder="Message (Enter sends, Shift+Enter for a new line)"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey) {
            e.preventDefault();
            void send();
          }
        }}
      />
      <button type="submit">Send</button>
      <button type="button" class="danger" onClick={onCancel} disabled={!busy}>
        Cancel turn
      </button>
    </form>
  );
}

function StatusCard({ session }: { session: Session | undefined }) {
  const status = session?.status;
  const parent = session?.lineage?.parent;
  return (
    <div class="card status">
      <h2>Status</h2>
      <dl>
        <dt>State</dt>
        <dd class="session-state">{enumName(SessionStateSchema, status?.state ?? 0)}</dd>
        {status?.reason && (
          <>
            <dt>Reason</dt>
            <dd>{`${status.reason}${status.message ? `: ${status.message}` : ""}`}</dd>
          </>
        )}
        <dt>Agents</dt>
        <dd>{session?.spec?.agents.join(", ")}</dd>
        <dt>Turns</dt>
        <dd>{status?.turnCount ?? 0}</dd>
        <dt>Usage</dt>
        <dd>{usageText(status?.usage)}</dd>
        <dt>Last activity</dt>
        <dd>{when(status?.lastActivityAt)}</dd>
        {parent && (
          <>
            <dt>Remixed from</dt>
            <dd>
              <a href={href("sessions", parent.namespace, parent.name)}>{`${parent.namespace}/${parent.name}`}</a>
              {` at turn ${session?.lineage?.parentTurn ?? 0}`}
            </dd>
          </>
        )}
      </dl>
    </div>
  );
}

/** The session page. */
export function SessionPage({ namespace, name }: { namespace: string; name: string }) {
  const ref = useMemo(() => ({ namespace, name }), [namespace, name]);
  const timeline = useRef(new Timeline());
  const [, setVersion] = useState(0);
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [connection, setConnection] = useState<{ connected: boolean; retryInMs?: number; error?: string }>({ connected: false });
  const [error, setError] = useState("");
  const bottom = useRef<HTMLDivElement>(null);

  const refresh = useCallback(async () => {
    try {
      const [s, t] = await Promise.all([api.sessions.getSession({ ref }), api.sessions.listTurns({ ref, pageSize: 1000 })]);
      setSession(s.session);
      setTurns(t.turns);
    } catch (err) {
      setError(errorText(err));
    }
  }, [ref]);

  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    void refresh();
    void followSession(
      ref,
      0n,
      {
        onEvents(events) {
          const nearBottom = innerHeight + scrollY >= document.body.scrollHeight - 80;
          timeline.current.add(events);
          setVersion((v) => v + 1);
          if (nearBottom) requestAnimationFrame(() => bottom.current?.scrollIntoView({ block: "end" }));
          // State, approvals and turns live on the session; fetch them once per burst of events that change them.
          if (events.some((e) => e.payload.case !== "textDelta" && e.payload.case !== "usage")) {
            clearTimeout(timer);
            timer = setTimeout(() => void refresh(), 150);
          }
        },
        onConnection: (state) => {
          setConnection((previous) => {
            // Back after a break: what happened meanwhile may have changed the state and turns.
            if (state.connected && previous.retryInMs !== undefined) void refresh();
            return state;
          });
        },
      },
      abort.signal,
    );
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [ref, refresh]);

  const act = (fn: () => Promise<unknown>) => {
    setError("");
    fn().then(() => refresh(), (err: unknown) => setError(errorText(err)));
  };
  const pending = new Set(session?.status?.pendingApprovals.map((p) => p.toolCallId) ?? []);
  const busy = (session?.status?.activeTurn ?? 0) > 0;

  return (
    <section class="session-page">
      <div class="toolbar">
        <h1>
          <a href={href("sessions")}>Sessions</a> / {namespace} / {name}
        </h1>
        <span class={`conn ${connection.connected ? "up" : "down"}`} title={connection.error ?? ""}>
          {connection.connected ? "live" : connection.retryInMs !== undefined ? `reconnecting in ${Math.round(connection.retryInMs / 100) / 10}s` : connection.error ? "disconnected" : "connecting"}
        </span>
      </div>
      <ErrorLine error={error} />
      <div class="session-grid">
        <div class="stream">
          <TimelineView items={timeline.current.items} pending={pending} decide={(id, approve) => act(() => api.sessions.approveToolCall({ ref, toolCallId: id, approve, reason: approve ? "approved in the console" : "denied in the console" }))} />
          <MessageBox
            busy={busy}
            onSend={async (text) => {
              setError("");
              try {
                await api.sessions.sendMessage({ ref, text, idempotencyKey: crypto.randomUUID() });
              } catch (err) {
                setError(errorText(err));
                throw err;
              }
            }}
            onCancel={() => act(() => api.sessions.cancelTurn({ ref, reason: "cancelled in the console" }))}
          />
          {/* After the composer, which sticks to the bottom: scrolling here shows the last event above it. */}
          <div ref={bottom} />
        </div>
        <aside>
          <StatusCard session={session} />
          <TurnHistory
            turns={turns}
            onRemix={(turn) =>
              act(async () => {
                const res = await api.sessions.remixSession({ source: ref, atTurn: turn });
                navigate("sessions", res.session?.metadata?.namespace ?? namespace, res.session?.metadata?.name ?? "");
              })
            }
          />
          <div class="card files" id="files">
            <h2>Files</h2>
            <p class="muted">The session's files appear here once the files API (issue 16) lands.</p>
          </div>
        </aside>
      </div>
    </section>
  );
}
