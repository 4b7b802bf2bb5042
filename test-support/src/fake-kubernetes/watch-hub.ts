/**
 * Watch streams as the API server serves them: HTTP 200 with one JSON `{type, object}` per
 * line; initial ADDED events when no resourceVersion (or "0") is given, else the changes after
 * it; a 410 Expired ERROR event when that version has been compacted; label-selector
 * transitions as ADDED/DELETED; optional BOOKMARKs; `timeoutSeconds`.
 */
import type { ServerResponse } from "node:http";
import type { FakeCluster } from "./cluster.js";
import { apiVersion, resourceId, withTypeMeta } from "./cluster.js";
import { parseLabelSelector, type LabelSelector } from "./label-selector.js";
import type { ResourceType } from "./resources.js";
import { FakeApiError, badRequest } from "./status.js";
import type { StoreEvent } from "./types.js";

/** A watch request's parameters. */
export interface WatchRequest {
  readonly type: ResourceType;
  readonly namespace: string | undefined;
  readonly labelSelector: string | null;
  readonly resourceVersion: string | null;
  readonly allowWatchBookmarks: boolean;
  readonly timeoutSeconds: number | undefined;
}

interface OpenWatch {
  readonly response: ServerResponse;
  readonly end: () => void;
}

/** Serves and tracks open watch streams. */
export class WatchHub {
  private readonly open = new Set<OpenWatch>();

  constructor(
    private readonly cluster: FakeCluster,
    private readonly bookmarkIntervalMs: number,
  ) {}

  /** How many watch streams are open now. */
  get openCount(): number {
    return this.open.size;
  }

  /** Answers one watch request with a stream; throws (before any byte is written) on a bad request. */
  serve(request: WatchRequest, response: ServerResponse): void {
    const selects = parseLabelSelector(request.labelSelector);
    const from = request.resourceVersion;
    if (from && from !== "0" && !/^\d+$/.test(from)) throw badRequest(`resourceVersion: Invalid value: "${from}": must be a non-negative integer`);
    const resource = resourceId(request.type);
    const inScope = (event: StoreEvent) => event.resource === resource && (request.namespace === undefined || event.namespace === request.namespace);
    response.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private" });
    // The API server flushes the headers at once: a client's watch call returns before any event.
    response.flushHeaders();
    const send = (type: string, object: unknown) => response.write(`${JSON.stringify({ type, object })}\n`);
    let initial: StoreEvent[];
    try {
      initial = !from || from === "0" ? this.currentState(resource, request.namespace) : this.cluster.store.eventsSince(Number(from)).filter(inScope);
    } catch (error) {
      if (!(error instanceof FakeApiError)) throw error;
      send("ERROR", error.status);
      response.end();
      return;
    }
    const deliver = (event: StoreEvent) => {
      const translated = translate(event, selects);
      if (translated) send(translated, withTypeMeta(request.type, event.object));
    };
    for (const event of initial) deliver(event);
    const unsubscribe = this.cluster.store.subscribe((event) => inScope(event) && deliver(event));
    const timers: NodeJS.Timeout[] = [];
    const watch: OpenWatch = {
      response,
      end: () => {
        unsubscribe();
        for (const timer of timers) clearTimeout(timer);
        this.open.delete(watch);
        if (!response.writableEnded) response.end();
      },
    };
    this.open.add(watch);
    response.on("close", watch.end);
    if (request.timeoutSeconds !== undefined) timers.push(setTimeout(watch.end, request.timeoutSeconds * 1000));
    if (request.allowWatchBookmarks) {
      const bookmark = () => {
        send("BOOKMARK", { kind: request.type.kind, apiVersion: apiVersion(request.type), metadata: { resourceVersion: String(this.cluster.store.resourceVersion) } });
        timers.push(setTimeout(bookmark, this.bookmarkIntervalMs));
      };
      timers.push(setTimeout(bookmark, this.bookmarkIntervalMs));
    }
  }

  /** Ends every open watch with a 410 Expired ERROR event (after compacting, so resuming fails too). */
  expireAll(): void {
    const oldest = this.cluster.store.resourceVersion + 1;
    for (const watch of [...this.open]) {
      const status = new FakeApiError({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: `too old resource version: ${oldest - 1} (${oldest})`,
        reason: "Expired",
        code: 410,
      }).status;
      watch.response.write(`${JSON.stringify({ type: "ERROR", object: status })}\n`);
      watch.end();
    }
  }

  /** Ends every open watch cleanly, as an API server restart or a load balancer's idle timeout does. */
  closeAll(): void {
    for (const watch of [...this.open]) watch.end();
  }

  private currentState(resource: string, namespace: string | undefined): StoreEvent[] {
    return this.cluster.store.list(resource, namespace).map((object) => ({
      type: "ADDED",
      resource,
      namespace: object.metadata.namespace ?? "",
      resourceVersion: Number(object.metadata.resourceVersion),
      object,
    }));
  }
}

function translate(event: StoreEvent, selects: LabelSelector): StoreEvent["type"] | undefined {
  const now = selects(event.object.metadata.labels);
  if (event.type !== "MODIFIED") return now ? event.type : undefined;
  const before = event.previous ? selects(event.previous.metadata.labels) : now;
  if (now && before) return "MODIFIED";
  if (now) return "ADDED";
  return before ? "DELETED" : undefined;
}
