/**
 * The Kubernetes API clients the runtime uses, made from one KubeConfig. Every request carries
 * a timeout, because a hung API server must not hang the reconciler.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  ServerConfiguration,
  Watch,
  createConfiguration,
  type Middleware,
} from "@kubernetes/client-node";

/** Options of createKubernetesClients. */
export interface KubernetesClientOptions {
  /** Per-request timeout in milliseconds (watches excepted); default 30 s. */
  readonly requestTimeoutMs?: number;
  /** The User-Agent header; default "raworc-control-plane". */
  readonly userAgent?: string;
}

/** Loads a KubeConfig: in-cluster inside a pod, else $KUBECONFIG or ~/.kube/config. */
export function loadKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (process.env.KUBERNETES_SERVICE_HOST) kubeConfig.loadFromCluster();
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}

/** Creates the core, custom-objects and watch clients for one cluster. */
export function createKubernetesClients(kubeConfig: KubeConfig, options: KubernetesClientOptions = {}) {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const userAgent = options.userAgent ?? "raworc-control-plane";
  const perRequest: Middleware = {
    pre: (context) => {
      context.setHeaderParam("User-Agent", userAgent);
      context.setSignal(AbortSignal.timeout(requestTimeoutMs));
      return Promise.resolve(context);
    },
    post: (context) => Promise.resolve(context),
  };
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kubeConfig },
    promiseMiddleware: [perRequest],
  });
  return {
    kubeConfig,
    core: new CoreV1Api(configuration),
    customObjects: new CustomObjectsApi(configuration),
    watch: new Watch(kubeConfig),
  };
}

/** The clients the Kubernetes runtime needs. */
export type KubernetesClients = ReturnType<typeof createKubernetesClients>;
