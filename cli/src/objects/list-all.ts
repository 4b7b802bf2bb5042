/** Lists every object of a kind, following next_page_token through all pages. */
import type { Connection, ObjectKind, StoredObject } from "./kind.js";

/** What to list: one namespace ("" for every one the caller may see) and a label selector. */
export interface ListSelection {
  readonly namespace: string;
  readonly labelSelector: string;
  /** Objects per request (the server's maximum is 1000). */
  readonly pageSize?: number;
}

/** Every object matching the selection, in the server's order. */
export async function listAll(conn: Connection, kind: ObjectKind, selection: ListSelection): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  const seen = new Set<string>();
  let pageToken = "";
  do {
    const page = await kind.list(conn, { namespace: selection.namespace, labelSelector: selection.labelSelector, pageSize: selection.pageSize ?? 500, pageToken });
    out.push(...page.items);
    pageToken = page.nextPageToken;
    // A server handing out the same token twice would otherwise keep us here forever.
    if (seen.has(pageToken)) throw new Error(`the server repeated page token "${pageToken}" while listing ${kind.plural}`);
    seen.add(pageToken);
  } while (pageToken);
  return out;
}
