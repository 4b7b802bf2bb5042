/** The list query shared by namespaced kinds: namespace filter, list scope, labels and keyset pages. */
import { labelSelectorSql, parseLabelSelector } from "./label-selector.js";
import { decodePageToken, effectivePageSize, encodePageToken } from "./page-token.js";

/** A list query of a namespaced kind. */
export interface ListQuery {
  readonly namespace?: string;
  /** When set, only these namespaces (the caller's list scope). */
  readonly namespaces?: readonly string[];
  readonly labelSelector: string;
  readonly pageSize: number;
  readonly pageToken: string;
}

/** The part of a query builder the filters need (raw conditions with positional parameters). */
interface RawFilterable {
  andWhere(sql: string, params?: unknown[]): unknown;
}

/**
 * Adds the namespace, list-scope, label and page-token conditions of `query` to `qb`, and
 * returns how many rows to fetch (one more than a page, to know whether another follows).
 * With `byId`, rows are ordered by (namespace, name, id): for kinds whose name several rows
 * can share (TERMINATED sessions), so that a page boundary between them skips none.
 */
export function filterNamespaced(qb: RawFilterable, query: ListQuery, byId = false): number {
  if (query.namespace) qb.andWhere("namespace = ?", [query.namespace]);
  if (query.namespaces) {
    // An empty scope lists nothing; "in ()" is not valid SQL.
    if (query.namespaces.length === 0) qb.andWhere("false");
    else qb.andWhere(`namespace in (${query.namespaces.map(() => "?").join(", ")})`, [...query.namespaces]);
  }
  const selector = labelSelectorSql(parseLabelSelector(query.labelSelector));
  if (selector) qb.andWhere(selector.sql, selector.params);
  const after = decodePageToken(query.pageToken, byId ? 3 : 2);
  // id as text: a forged token holding no uuid compares instead of failing the query (uuids order as their text does).
  if (after) qb.andWhere(byId ? "(namespace, name, id::text) > (?, ?, ?)" : "(namespace, name) > (?, ?)", after);
  return effectivePageSize(query.pageSize) + 1;
}

/** Cuts the rows fetched with {@link filterNamespaced}'s limit into a page and its next token (with the id when `byId` was given there). */
export function namespacedPage<T extends { namespace: string; name: string; id?: string }>(rows: T[], limit: number, byId = false): { items: T[]; nextPageToken: string } {
  const items = rows.slice(0, limit - 1);
  const last = items.at(-1);
  const key = last && (byId ? [last.namespace, last.name, last.id ?? ""] : [last.namespace, last.name]);
  return { items, nextPageToken: rows.length >= limit && key ? encodePageToken(key) : "" };
}
