/** Sessions: a table with state, agents and lineage, and a form to create one. */
import { useState } from "preact/hooks";
import { SessionStateSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { api, errorText } from "../api.js";
import { enumName, when } from "../format.js";
import { href, navigate } from "../router.js";
import { ErrorLine, ListHeader, NamespaceSelect, Table, useLoad, useNamespace } from "./common.js";

function CreateSession({ namespace }: { namespace: string }) {
  const [ns, setNs] = useState(namespace || "default");
  const [agent, setAgent] = useState("");
  const [name, setName] = useState("");
  const [prompt, setPrompt] = useState("");
  const [error, setError] = useState("");
  const agents = useLoad(() => api.agents.listAgents({ namespace: ns, pageSize: 1000 }), [ns]);
  const names = agents.data?.agents.map((a) => a.metadata?.name ?? "") ?? [];
  const chosen = agent || names[0] || "";
  const submit = async (e: Event) => {
    e.preventDefault();
    setError("");
    try {
      const res = await api.sessions.createSession({
        session: { metadata: { namespace: ns, name }, spec: { agents: [chosen], initialPrompt: prompt } },
      });
      navigate("sessions", res.session?.metadata?.namespace ?? ns, res.session?.metadata?.name ?? name);
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form class="card inline-form" onSubmit={(e) => void submit(e)} aria-label="New session">
      <h2>New session</h2>
      <NamespaceSelect value={ns} onChange={setNs} required />
      <select name="agent" value={chosen} onChange={(e) => setAgent(e.currentTarget.value)} aria-label="Agent">
        {names.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
      <input name="name" placeholder="name (optional)" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <input name="prompt" class="grow" placeholder="first message (optional)" value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />
      <button type="submit" disabled={!chosen}>
        Create
      </button>
      <ErrorLine error={error || agents.error} />
    </form>
  );
}

/** The sessions page. */
export function SessionsPage() {
  const [namespace, setNamespace] = useNamespace();
  const [showEnded, setShowEnded] = useState(false);
  const list = useLoad(() => api.sessions.listSessions({ namespace, pageSize: 1000, states: showEnded ? Array.from({ length: 9 }, (_, i) => i + 1) : [] }), [namespace, showEnded]);
  return (
    <section>
      <ListHeader title="Sessions" namespace={namespace} onNamespace={setNamespace}>
        <label class="check">
          <input type="checkbox" checked={showEnded} onChange={(e) => setShowEnded(e.currentTarget.checked)} /> terminated too
        </label>
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </ListHeader>
      <CreateSession namespace={namespace} />
      <ErrorLine error={list.error} />
      <Table
        columns={["Namespace", "Name", "State", "Agents", "Remixed from", "Turns", "Last activity"]}
        rows={list.data?.sessions.map((s) => {
          const ns = s.metadata?.namespace ?? "";
          const name = s.metadata?.name ?? "";
          const parent = s.lineage?.parent;
          const state = enumName(SessionStateSchema, s.status?.state ?? 0);
          return {
            key: `${ns}/${name}`,
            cells: [
              ns,
              <a href={href("sessions", ns, name)}>{name}</a>,
              <span class={`state state-${state.toLowerCase()}`}>{state}</span>,
              s.spec?.agents.join(", "),
              parent ? <a href={href("sessions", parent.namespace, parent.name)}>{`${parent.name} @ turn ${s.lineage?.parentTurn ?? 0}`}</a> : "",
              s.status?.turnCount ?? 0,
              when(s.status?.lastActivityAt),
            ],
          };
        })}
      />
      {list.data && list.data.sessions.length === 0 && <p class="muted">No sessions yet.</p>}
    </section>
  );
}
