/**
 * An in-process fake of the Kubernetes API server on port 0, faithful for what the Raworc
 * kubernetes runtime calls: core/v1 pods, persistentvolumeclaims and secrets and
 * snapshot.storage.k8s.io/v1 volumesnapshots, with resourceVersions, watches, Status errors,
 * controllers, a test-driven kubelet, and fault injection. Point @kubernetes/client-node at it
 * with `new KubeConfig().loadFromOptions(fake.kubeConfigOptions())`.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { FakeCluster, key, resourceId, type ClusterOptions } from "./cluster.js";
import { FaultInjector } from "./faults.js";
import { handleRequest, type RequestRecord } from "./http-handler.js";
import { FakeKubelet, type KubeletOptions } from "./kubelet.js";
import { RESOURCES } from "./resources.js";
import type { KubeObject } from "./types.js";
import { WatchHub } from "./watch-hub.js";

/** Types tests use to drive the fake: the kubelet's options and container exits, fault matches, recorded requests, stored objects. */
export type { ContainerExit, KubeletOptions } from "./kubelet.js";
export type { FaultMatch } from "./faults.js";
export type { RequestRecord } from "./http-handler.js";
export type { KubeObject } from "./types.js";

/** Options of the fake API server. */
export interface FakeKubernetesOptions extends ClusterOptions {
  /** The bearer token clients must send; default "fake-token"; null accepts anyone (kubectl sends no token over http). */
  readonly token?: string | null;
  /** How the fake kubelet finishes graceful deletions. */
  readonly kubelet?: KubeletOptions;
  /** Interval between BOOKMARK events on watches that allow them; default 1 s. */
  readonly bookmarkIntervalMs?: number;
}

/** A running fake API server and the handles tests drive it with. */
export interface FakeKubernetes {
  /** The server URL (http://127.0.0.1:port). */
  readonly url: string;
  readonly cluster: FakeCluster;
  readonly kubelet: FakeKubelet;
  readonly faults: FaultInjector;
  /** Every request received, in order. */
  readonly requests: RequestRecord[];
  /** Options for KubeConfig.loadFromOptions, with `namespace` as the context's namespace. */
  kubeConfigOptions(namespace?: string): KubeConfigOptions;
  /** A stored object by plural (e.g. "pods", "volumesnapshots"), or undefined. */
  object(plural: string, namespace: string, name: string): KubeObject | undefined;
  /** Stored objects of a plural in a namespace. */
  objects(plural: string, namespace: string): KubeObject[];
  /** How many recorded requests match. */
  countRequests(match: { method?: string; resource?: string; name?: string; watch?: boolean }): number;
  /** Ends every open watch with 410 Expired and compacts history, so resuming from any old version fails too. */
  expireWatches(): void;
  /** Ends every open watch cleanly. */
  closeWatches(): void;
  /** How many watches are open. */
  readonly openWatches: number;
  /** Stops the server, closing watches and connections. */
  close(): Promise<void>;
}

/** The shape KubeConfig.loadFromOptions takes. */
export interface KubeConfigOptions {
  clusters: { name: string; server: string; skipTLSVerify: boolean }[];
  users: { name: string; token: string }[];
  contexts: { name: string; cluster: string; user: string; namespace?: string }[];
  currentContext: string;
}

/** Starts a fake API server on 127.0.0.1, port 0. */
export async function startFakeKubernetes(options: FakeKubernetesOptions = {}): Promise<FakeKubernetes> {
  const cluster = new FakeCluster(options);
  const kubelet = new FakeKubelet(cluster, options.kubelet);
  const faults = new FaultInjector();
  const watches = new WatchHub(cluster, options.bookmarkIntervalMs ?? 1000);
  const requests: RequestRecord[] = [];
  const token = options.token === null ? undefined : (options.token ?? "fake-token");
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    void handleRequest({ cluster, watches, faults, requests, token }, request, response);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const typeOf = (plural: string) => {
    const type = [...RESOURCES.values()].find((candidate) => candidate.plural === plural);
    if (!type) throw new Error(`the fake does not serve ${plural}`);
    return type;
  };
  return {
    url,
    cluster,
    kubelet,
    faults,
    requests,
    kubeConfigOptions: (namespace) => ({
      clusters: [{ name: "fake", server: url, skipTLSVerify: true }],
      users: [{ name: "fake", token: token ?? "" }],
      contexts: [{ name: "fake", cluster: "fake", user: "fake", ...(namespace ? { namespace } : {}) }],
      currentContext: "fake",
    }),
    object: (plural, namespace, name) => cluster.store.get(key(typeOf(plural), namespace, name)),
    objects: (plural, namespace) => cluster.store.list(resourceId(typeOf(plural)), namespace),
    countRequests: (match) =>
      requests.filter(
        (record) =>
          (match.method === undefined || record.method === match.method.toUpperCase()) &&
          (match.resource === undefined || record.resource === match.resource) &&
          (match.name === undefined || record.name === match.name) &&
          (match.watch === undefined || record.watch === match.watch),
      ).length,
    expireWatches: () => {
      cluster.store.compact();
      watches.expireAll();
    },
    closeWatches: () => watches.closeAll(),
    get openWatches() {
      return watches.openCount;
    },
    close: async () => {
      kubelet.close();
      watches.closeAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
