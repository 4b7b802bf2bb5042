/** Namespaces: the ones the caller may list, with their phase; create one. */
import { useState } from "preact/hooks";
import { NamespacePhaseSchema } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import { api, errorText } from "../api.js";
import { enumName, when } from "../format.js";
import { ErrorLine, useLoad } from "./common.js";

/** The namespaces page. */
export function NamespacesPage() {
  const list = useLoad(() => api.namespaces.listNamespaces({ pageSize: 1000 }), []);
  const [name, setName] = useState("");
  const [error, setError] = useState("");
  const create = async (e: Event) => {
    e.preventDefault();
    setError("");
    try {
      await api.namespaces.createNamespace({ namespace: { metadata: { name } } });
      setName("");
      list.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <section>
      <div class="toolbar">
        <h1>Namespaces</h1>
      </div>
      <form class="card inline-form" onSubmit={(e) => void create(e)}>
        <input name="name" placeholder="new namespace" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        <button type="submit">Create</button>
        <ErrorLine error={error} />
      </form>
      <ErrorLine error={list.error} />
      <table class="list">
        <thead>
          <tr>
            <th>Name</th>
            <th>Phase</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.namespaces.map((n) => (
            <tr key={n.metadata?.name}>
              <td>{n.metadata?.name}</td>
              <td>{enumName(NamespacePhaseSchema, n.status?.phase ?? 0)}</td>
              <td>{when(n.metadata?.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
