/** API discovery documents (/api, /apis, /api/v1, /apis/{group}/{version}), so kubectl can talk to the fake too. */
import { RESOURCES } from "./resources.js";

const VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"];

/** The discovery document at `path`, or undefined when the path is not a discovery path. */
export function discoveryDocument(path: string): object | undefined {
  const types = [...RESOURCES.values()];
  const groups = [...new Set(types.filter((type) => type.group).map((type) => type.group))];
  if (path === "/api") return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "127.0.0.1" }] };
  if (path === "/apis") {
    return {
      kind: "APIGroupList",
      apiVersion: "v1",
      groups: groups.map((group) => {
        const version = { groupVersion: `${group}/v1`, version: "v1" };
        return { name: group, versions: [version], preferredVersion: version };
      }),
    };
  }
  const match = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
  if (!match) return undefined;
  const group = match[2] ?? "";
  const version = match[1] ?? match[3];
  const served = types.filter((type) => type.group === group && type.version === version);
  if (served.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/${version}` : version,
    resources: served.map((type) => ({ name: type.plural, singularName: type.kind.toLowerCase(), namespaced: true, kind: type.kind, verbs: VERBS })),
  };
}
