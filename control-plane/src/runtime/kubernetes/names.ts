/**
 * Names and labels of a session's Kubernetes objects. Names are fixed per session, so the API
 * server itself guarantees at most one pod (one daemon) per session.
 */

/** The label every Raworc session object carries; list and watch select on it. */
export const APP_LABEL = "app.kubernetes.io/name";
/** The value of APP_LABEL. */
export const APP_NAME = "raworc-session";
/** The label holding the session id. */
export const SESSION_ID_LABEL = "raworc.dev/session-id";
/** The label holding the session's Raworc namespace (on pods and secrets). */
export const SESSION_NAMESPACE_LABEL = "raworc.dev/session-namespace";
/** The label holding the session's Raworc name (on pods and secrets). */
export const SESSION_NAME_LABEL = "raworc.dev/session-name";
/** What part of a session an object is: daemon, volume, token or remix-snapshot. */
export const COMPONENT_LABEL = "app.kubernetes.io/component";
/** The key of the daemon token in the session's Secret. */
export const TOKEN_KEY = "token";
/** The label selector of every session object. */
export const SESSIONS_SELECTOR = `${APP_LABEL}=${APP_NAME}`;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Throws unless the session id can name Kubernetes objects (a lowercase UUID does). */
export function assertSessionId(sessionId: string): void {
  if (!DNS_LABEL.test(sessionId) || sessionId.length > 50) {
    throw new Error(`session id "${sessionId}" cannot name Kubernetes objects (want a lowercase DNS-1123 label of 50 characters or fewer)`);
  }
}

/** The names of one session's objects. */
export function sessionObjectNames(sessionId: string) {
  assertSessionId(sessionId);
  const base = `raworc-${sessionId}`;
  return { pod: base, volume: base, secret: `${base}-token`, snapshot: `${base}-remix` };
}

/** The labels of one session object. */
export function sessionLabels(
  sessionId: string,
  component: "daemon" | "volume" | "token" | "remix-snapshot",
  session?: { readonly namespace: string; readonly name: string },
): Record<string, string> {
  return {
    [APP_LABEL]: APP_NAME,
    "app.kubernetes.io/managed-by": "raworc",
    [COMPONENT_LABEL]: component,
    [SESSION_ID_LABEL]: sessionId,
    ...(session ? { [SESSION_NAMESPACE_LABEL]: session.namespace, [SESSION_NAME_LABEL]: session.name } : {}),
  };
}

/** The label selector of one session's objects. */
export function sessionSelector(sessionId: string): string {
  return `${SESSIONS_SELECTOR},${SESSION_ID_LABEL}=${sessionId}`;
}

/** The session id an object is labelled with, if any. */
export function sessionIdOf(object: { metadata?: { labels?: Record<string, string> } }): string | undefined {
  return object.metadata?.labels?.[SESSION_ID_LABEL];
}
