/** Small pieces the pages share: loading with errors, the namespace picker, error lines. */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { api, errorText } from "../api.js";

/** The state of an asynchronous load. */
export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: string;
  readonly reload: () => void;
}

/** Loads `fn()` now and whenever `deps` change; `reload` loads again. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    fn().then(
      (value) => live && (setData(value), setError("")),
      (err: unknown) => live && setError(errorText(err)),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { data, error, reload: useCallback(() => setTick((t) => t + 1), []) };
}

/** A line saying what went wrong, or nothing. */
export function ErrorLine({ error }: { error: string }) {
  return error ? <p class="error">{error}</p> : null;
}

/** The namespace filter remembered for this tab ("" = every namespace the caller may see). */
export function useNamespace(): [string, (ns: string) => void] {
  const [ns, setNs] = useState(() => sessionStorage.getItem("raworc.namespace") ?? "");
  const set = useCallback((value: string) => {
    sessionStorage.setItem("raworc.namespace", value);
    setNs(value);
  }, []);
  return [ns, set];
}

/** A select of the namespaces the caller may list, with "all" unless `required`. */
export function NamespaceSelect({ value, onChange, required = false }: { value: string; onChange: (ns: string) => void; required?: boolean }) {
  const { data } = useLoad(() => api.namespaces.listNamespaces({ pageSize: 1000 }), []);
  const names = data?.namespaces.map((n) => n.metadata?.name ?? "") ?? (value ? [value] : []);
  return (
    <select name="namespace" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
      {!required && <option value="">all namespaces</option>}
      {names.map((n) => (
        <option key={n} value={n}>
          {n}
        </option>
      ))}
    </select>
  );
}

/** One row of a {@link Table}: a unique key and one cell per column. */
export interface Row {
  readonly key: string;
  readonly cells: readonly ComponentChildren[];
  readonly class?: string;
}

/** A list table: column headings and rows of text or links. */
export function Table({ columns, rows, class: extra = "" }: { columns: readonly string[]; rows: readonly Row[] | undefined; class?: string }) {
  return (
    <table class={`list ${extra}`}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c}>{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows?.map((r) => (
          <tr key={r.key} class={r.class}>
            {r.cells.map((cell, i) => (
              <td key={columns[i]}>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A page's heading with, for namespaced lists, the namespace filter. */
export function ListHeader({ title, namespace, onNamespace, children }: { title: string; namespace?: string; onNamespace?: (ns: string) => void; children?: ComponentChildren }) {
  return (
    <div class="toolbar">
      <h1>{title}</h1>
      {onNamespace && <NamespaceSelect value={namespace ?? ""} onChange={onNamespace} />}
      {children}
    </div>
  );
}
