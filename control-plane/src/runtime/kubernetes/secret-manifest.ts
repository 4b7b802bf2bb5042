/** The Secret that holds a session's daemon token, so the token never appears in a pod spec. */
import type { V1OwnerReference, V1Secret } from "@kubernetes/client-node";
import type { SessionLaunch } from "../session-runtime.js";
import { TOKEN_KEY, sessionLabels, sessionObjectNames } from "./names.js";
import type { ResolvedKubernetesRuntimeOptions } from "./options.js";

/** Builds the token Secret of a session, owned by its volume. */
export function buildTokenSecret(launch: SessionLaunch, options: ResolvedKubernetesRuntimeOptions, owner: V1OwnerReference): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: {
      name: sessionObjectNames(launch.sessionId).secret,
      namespace: options.namespace,
      labels: sessionLabels(launch.sessionId, "token", launch),
      ownerReferences: [owner],
    },
    data: { [TOKEN_KEY]: Buffer.from(launch.daemonToken, "utf8").toString("base64") },
  };
}

/** The token a Secret holds, if any. */
export function tokenOf(secret: V1Secret): string | undefined {
  const encoded = secret.data?.[TOKEN_KEY];
  return encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8");
}
