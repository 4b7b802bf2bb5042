/**
 * The fake's HTTP surface: Kubernetes REST paths for the served resources (get, list, watch,
 * create, replace, merge-patch, delete), bearer-token auth, Status error bodies, and the
 * injected faults, with every request recorded for tests to count.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DeleteOptions, FakeCluster } from "./cluster.js";
import { discoveryDocument } from "./discovery.js";
import type { FaultInjector } from "./faults.js";
import { mergePatch } from "./merge-patch.js";
import { RESOURCES, type ResourceType } from "./resources.js";
import { FakeApiError, badRequest, injected, methodNotAllowed, noSuchResource, unauthorized } from "./status.js";
import type { KubeObject } from "./types.js";
import type { WatchHub } from "./watch-hub.js";

/** One request as the fake saw it. */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly resource?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly watch: boolean;
  status?: number;
}

/** What the handler works with. */
export interface HandlerContext {
  readonly cluster: FakeCluster;
  readonly watches: WatchHub;
  readonly faults: FaultInjector;
  readonly requests: RequestRecord[];
  readonly token: string | undefined;
}

interface Route {
  readonly type: ResourceType;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
}

/** Handles one HTTP request. */
export async function handleRequest(context: HandlerContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? "/", "http://fake");
  const method = request.method ?? "GET";
  const query = Object.fromEntries(url.searchParams);
  const route = parseRoute(url.pathname);
  const watch = query.watch === "true" || query.watch === "1";
  const record: RequestRecord = {
    method,
    path: url.pathname,
    query,
    watch,
    ...(route ? { resource: route.type.plural, namespace: route.namespace, name: route.name } : {}),
  };
  context.requests.push(record);
  const answer = (code: number, body: unknown, headers: Record<string, string> = {}) => {
    record.status = code;
    response.writeHead(code, { "Content-Type": "application/json", ...headers });
    response.end(JSON.stringify(body));
  };
  try {
    for (const fault of context.faults.take({ method, watch, ...(route ? { resource: route.type.plural } : {}), ...(route?.name ? { name: route.name } : {}) })) {
      if (fault.kind === "delay") await new Promise((resolve) => setTimeout(resolve, fault.ms));
      if (fault.kind === "reset") {
        record.status = 0;
        request.socket.destroy();
        return;
      }
      if (fault.kind === "fail") throw injected(fault.code, fault.reason, fault.message, fault.retryAfterSeconds);
    }
    if (context.token !== undefined && request.headers.authorization !== `Bearer ${context.token}`) throw unauthorized();
    const contentType = String(request.headers["content-type"] ?? "application/json").split(";")[0]?.trim();
    if (["POST", "PUT"].includes(method) && contentType !== "application/json") {
      return answer(415, injected(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json`).status);
    }
    const body = await readBody(request);
    if (url.pathname === "/version") return answer(200, { major: "1", minor: "34", gitVersion: "v1.34.0-fake", platform: "linux/amd64" });
    if (url.pathname === "/healthz" || url.pathname === "/readyz") {
      record.status = 200;
      response.writeHead(200, { "Content-Type": "text/plain" });
      response.end("ok");
      return;
    }
    const discovery = method === "GET" ? discoveryDocument(url.pathname.replace(/\/$/, "")) : undefined;
    if (discovery) return answer(200, discovery);
    if (!route) throw noSuchResource();
    const { type, namespace, name } = route;
    const { cluster } = context;
    if (method === "GET" && name === undefined && watch) {
      record.status = 200;
      context.watches.serve(
        {
          type,
          namespace,
          labelSelector: url.searchParams.get("labelSelector"),
          resourceVersion: url.searchParams.get("resourceVersion"),
          allowWatchBookmarks: query.allowWatchBookmarks === "true",
          timeoutSeconds: query.timeoutSeconds === undefined ? undefined : Number(query.timeoutSeconds),
        },
        response,
      );
      return;
    }
    if (method === "GET" && name === undefined) return answer(200, cluster.list(type, namespace, url.searchParams.get("labelSelector")));
    if (namespace === undefined) throw methodNotAllowed(method);
    if (method === "GET" && name !== undefined) return answer(200, cluster.get(type, namespace, name));
    if (method === "POST" && name === undefined) return answer(201, cluster.create(type, namespace, objectBody(body)));
    if (method === "PUT" && name !== undefined) return answer(200, cluster.replace(type, namespace, name, objectBody(body)));
    if (method === "PATCH" && name !== undefined) {
      if (!String(request.headers["content-type"]).startsWith("application/merge-patch+json")) {
        return answer(415, injected(415, "UnsupportedMediaType", `the fake serves only application/merge-patch+json patches`).status);
      }
      const current = cluster.get(type, namespace, name);
      return answer(200, cluster.replace(type, namespace, name, mergePatch(current, objectBody(body)) as KubeObject));
    }
    if (method === "DELETE" && name !== undefined) return answer(200, cluster.delete(type, namespace, name, deleteOptions(query, body)));
    throw methodNotAllowed(method);
  } catch (error) {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    if (error instanceof FakeApiError) {
      const retryAfter = error.status.details?.retryAfterSeconds;
      return answer(error.status.code, error.status, retryAfter !== undefined ? { "Retry-After": String(retryAfter) } : {});
    }
    return answer(500, injected(500, "InternalError", `Internal error occurred: ${error instanceof Error ? error.message : String(error)}`).status);
  }
}

function parseRoute(path: string): Route | undefined {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string | undefined;
  let rest: string[];
  if (parts[0] === "api") [group, version, rest] = ["", parts[1], parts.slice(2)];
  else if (parts[0] === "apis") [group, version, rest] = [parts[1] ?? "", parts[2], parts.slice(3)];
  else return undefined;
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  if (rest.length === 0 || rest.length > 2) return undefined;
  const type = RESOURCES.get(`${group}/${rest[0]}`);
  return type && type.version === version ? { type, namespace, name: rest[1] } : undefined;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
  }
}

function objectBody(body: unknown): KubeObject {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("the body of the request was in an unknown format");
  return body as KubeObject;
}

function deleteOptions(query: Record<string, string>, body: unknown): DeleteOptions {
  const fromBody = (typeof body === "object" && body !== null ? body : {}) as DeleteOptions;
  const grace = fromBody.gracePeriodSeconds ?? (query.gracePeriodSeconds === undefined ? undefined : Number(query.gracePeriodSeconds));
  const policy = fromBody.propagationPolicy ?? (query.propagationPolicy as DeleteOptions["propagationPolicy"]);
  return {
    ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
    ...(policy ? { propagationPolicy: policy } : {}),
    ...(fromBody.preconditions ? { preconditions: fromBody.preconditions } : {}),
  };
}
