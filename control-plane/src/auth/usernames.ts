/** Usernames: "name" for a global service account, "namespace/name" for a namespaced one. */

/** Splits a username into namespace ("" for global) and name. */
export function parseUsername(username: string): { namespace: string; name: string } {
  const slash = username.indexOf("/");
  return slash < 0 ? { namespace: "", name: username } : { namespace: username.slice(0, slash), name: username.slice(slash + 1) };
}

/** Formats namespace and name as a username. */
export function formatUsername(ref: { namespace: string; name: string }): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}
