/** Secrets: names, types and key names only; values are write-only and never reach the page. */
import { api } from "../api.js";
import { when } from "../format.js";
import { ErrorLine, ListHeader, Table, useLoad, useNamespace } from "./common.js";

/** The secrets page. */
export function SecretsPage() {
  const [namespace, setNamespace] = useNamespace();
  const list = useLoad(() => api.secrets.listSecrets({ namespace, pageSize: 1000 }), [namespace]);
  return (
    <section>
      <ListHeader title="Secrets" namespace={namespace} onNamespace={setNamespace} />
      <ErrorLine error={list.error} />
      <Table
        columns={["Namespace", "Name", "Type", "Keys", "Created"]}
        rows={list.data?.secrets.map((s) => ({
          key: `${s.metadata?.namespace}/${s.metadata?.name}`,
          cells: [s.metadata?.namespace, s.metadata?.name, s.type || "Opaque", s.keys.join(", "), when(s.metadata?.createdAt)],
        }))}
      />
    </section>
  );
}
