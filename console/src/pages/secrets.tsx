/** Secrets: names, types and key names only; values are write-only and never reach the page. */
import { api } from "../api.js";
import { when } from "../format.js";
import { ErrorLine, NamespaceSelect, useLoad, useNamespace } from "./common.js";

/** The secrets page. */
export function SecretsPage() {
  const [namespace, setNamespace] = useNamespace();
  const list = useLoad(() => api.secrets.listSecrets({ namespace, pageSize: 1000 }), [namespace]);
  return (
    <section>
      <div class="toolbar">
        <h1>Secrets</h1>
        <NamespaceSelect value={namespace} onChange={setNamespace} />
      </div>
      <ErrorLine error={list.error} />
      <table class="list">
        <thead>
          <tr>
            <th>Namespace</th>
            <th>Name</th>
            <th>Type</th>
            <th>Keys</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.secrets.map((s) => (
            <tr key={`${s.metadata?.namespace}/${s.metadata?.name}`}>
              <td>{s.metadata?.namespace}</td>
              <td>{s.metadata?.name}</td>
              <td>{s.type || "Opaque"}</td>
              <td>{s.keys.join(", ")}</td>
              <td>{when(s.metadata?.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
