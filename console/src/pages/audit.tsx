/** The audit log with filters (namespace, principal, action, result), newest first, page by page. */
import { useState } from "preact/hooks";
import type { AuditEvent } from "@raworc/proto/gen/raworc/v1/audit_pb.js";
import { api, errorText } from "../api.js";
import { when } from "../format.js";
import { ErrorLine, ListHeader, Table, useLoad } from "./common.js";

const results = ["", "OK", "PERMISSION_DENIED", "UNAUTHENTICATED", "INVALID_ARGUMENT", "NOT_FOUND", "FAILED_PRECONDITION", "ALREADY_EXISTS", "RESOURCE_EXHAUSTED", "INTERNAL", "UNAVAILABLE"];

/** The audit page. */
export function AuditPage() {
  const [filters, setFilters] = useState({ namespace: "", principal: "", action: "", result: "" });
  const [draft, setDraft] = useState(filters);
  const [more, setMore] = useState<{ events: AuditEvent[]; token: string }>({ events: [], token: "" });
  const [error, setError] = useState("");
  const first = useLoad(async () => {
    const res = await api.audit.listAuditEvents({ ...filters, pageSize: 100 });
    setMore({ events: [], token: res.nextPageToken });
    return res.events;
  }, [filters]);
  const loadMore = async () => {
    try {
      const res = await api.audit.listAuditEvents({ ...filters, pageSize: 100, pageToken: more.token });
      setMore({ events: [...more.events, ...res.events], token: res.nextPageToken });
    } catch (err) {
      setError(errorText(err));
    }
  };
  const field = (key: keyof typeof draft, placeholder: string) => (
    <input name={key} placeholder={placeholder} value={draft[key]} onInput={(e) => setDraft({ ...draft, [key]: e.currentTarget.value })} />
  );
  const events = [...(first.data ?? []), ...more.events];
  return (
    <section>
      <ListHeader title="Audit log" />
      <form
        class="card inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        {field("namespace", "namespace")}
        {field("principal", "principal")}
        {field("action", "action, e.g. raworc.v1.SessionService/")}
        <select name="result" value={draft.result} onChange={(e) => setDraft({ ...draft, result: e.currentTarget.value })}>
          {results.map((r) => (
            <option key={r} value={r}>
              {r || "any result"}
            </option>
          ))}
        </select>
        <button type="submit">Filter</button>
      </form>
      <ErrorLine error={first.error || error} />
      <Table
        class="audit"
        columns={["Time", "Principal", "Action", "Object", "Result", "Reason"]}
        rows={events.map((e) => ({
          key: e.id,
          cells: [
            when(e.time),
            e.principal ? (e.principal.namespace ? `${e.principal.namespace}/${e.principal.name}` : e.principal.name) : "-",
            e.action,
            [e.namespace, e.name].filter(Boolean).join("/") || e.resource,
            <span class={e.result === "OK" ? "" : "error"}>{e.result}</span>,
            e.reason,
          ],
        }))}
      />
      {more.token && (
        <button type="button" onClick={() => void loadMore()}>
          More
        </button>
      )}
    </section>
  );
}
