/** Namespaces: the ones the caller may list, with their phase; create one. */
import { useState } from "preact/hooks";
import { NamespacePhaseSchema } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import { api, errorText } from "../api.js";
import { enumName, when } from "../format.js";
import { ErrorLine, ListHeader, Table, useLoad } from "./common.js";

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
      <ListHeader title="Namespaces" />
      <form class="card inline-form" onSubmit={(e) => void create(e)}>
        <input name="name" placeholder="new namespace" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        <button type="submit">Create</button>
        <ErrorLine error={error} />
      </form>
      <ErrorLine error={list.error} />
      <Table
        columns={["Name", "Phase", "Created"]}
        rows={list.data?.namespaces.map((n) => ({
          key: n.metadata?.name ?? "",
          cells: [n.metadata?.name, enumName(NamespacePhaseSchema, n.status?.phase ?? 0), when(n.metadata?.createdAt)],
        }))}
      />
    </section>
  );
}
