/** Agents: a table per namespace, and each agent's spec as YAML to read and edit. */
import { useEffect, useState } from "preact/hooks";
import { fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import { AgentSpecSchema, ModelProviderSchema, type Agent } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { api, errorText } from "../api.js";
import { enumName } from "../format.js";
import { href } from "../router.js";
import { ErrorLine, ListHeader, Table, useLoad, useNamespace } from "./common.js";

/** The agents page. */
export function AgentsPage() {
  const [namespace, setNamespace] = useNamespace();
  const list = useLoad(() => api.agents.listAgents({ namespace, pageSize: 1000 }), [namespace]);
  return (
    <section>
      <ListHeader title="Agents" namespace={namespace} onNamespace={setNamespace} />
      <ErrorLine error={list.error} />
      <Table
        columns={["Namespace", "Name", "Model", "Tools", "Description"]}
        rows={list.data?.agents.map((a) => {
          const ns = a.metadata?.namespace ?? "";
          const name = a.metadata?.name ?? "";
          return {
            key: `${ns}/${name}`,
            cells: [
              ns,
              <a href={href("agents", ns, name)}>{name}</a>,
              `${enumName(ModelProviderSchema, a.spec?.model?.provider ?? 0)} ${a.spec?.model?.name ?? ""}`,
              a.spec?.tools.map((t) => t.name).join(", "),
              a.spec?.description,
            ],
          };
        })}
      />
      <p class="muted">Create agents with `raworc apply -f agent.yaml` or the API; edit them here.</p>
    </section>
  );
}

// The YAML library loads with the first agent opened, not with the console's first page.
const yaml = () => import("yaml");
const toYaml = async (agent: Agent) => (await yaml()).stringify({ spec: toJson(AgentSpecSchema, agent.spec ?? fromJson(AgentSpecSchema, {})) });

/** One agent: its spec as YAML, editable. */
export function AgentPage({ namespace, name }: { namespace: string; name: string }) {
  const [agent, setAgent] = useState<Agent | undefined>(undefined);
  const [text, setText] = useState("");
  const [error, setError] = useState("");
  const [saved, setSaved] = useState("");
  useEffect(() => {
    api.agents.getAgent({ ref: { namespace, name } }).then(
      async (res) => {
        setAgent(res.agent);
        if (res.agent) setText(await toYaml(res.agent));
      },
      (err: unknown) => setError(errorText(err)),
    );
  }, [namespace, name]);
  const save = async () => {
    setError("");
    setSaved("");
    try {
      const doc = (await yaml()).parse(text) as { spec?: JsonValue } | null;
      const spec = fromJson(AgentSpecSchema, doc?.spec ?? {});
      const res = await api.agents.updateAgent({ agent: { metadata: agent?.metadata, spec } });
      setAgent(res.agent);
      if (res.agent) setText(await toYaml(res.agent));
      setSaved(`saved (version ${res.agent?.metadata?.resourceVersion ?? "?"})`);
    } catch (err) {
      setError(err instanceof Error && !("code" in err) ? err.message : errorText(err));
    }
  };
  return (
    <section>
      <div class="toolbar">
        <h1>
          <a href={href("agents")}>Agents</a> / {namespace} / {name}
        </h1>
      </div>
      <ErrorLine error={error} />
      <textarea class="yaml" name="yaml" spellcheck={false} value={text} onInput={(e) => setText(e.currentTarget.value)} aria-label="Agent spec (YAML)" />
      <div class="actions">
        <button type="button" onClick={() => void save()} disabled={!agent}>
          Save
        </button>
        <span class="muted">{saved}</span>
      </div>
    </section>
  );
}
