/**
 * The egress policy of http_fetch: which hosts a call may name (ToolCallGuardrails
 * egress_allow_hosts) and which addresses it may connect to. Loopback, private, shared,
 * link-local, multicast, reserved and cloud-metadata addresses are refused unless the policy
 * allows the private network and the host is listed explicitly ("*" means public hosts only).
 * Addresses are judged after resolution, so a public name that resolves inward is refused.
 */
import { BlockList, isIP } from "node:net";

/** The egress rules of one agent. */
export interface EgressPolicy {
  /** "example.com", "*.example.com" (subdomains only, never an IP literal), optionally ":port", or "*" for any public host; empty allows none. */
  readonly allowHosts: readonly string[];
  /** Allow non-public addresses for hosts listed explicitly. */
  readonly allowPrivateNetwork: boolean;
}

/** How a host matched the allow list: not at all, only through "*", or by an explicit entry. */
export type HostMatch = "none" | "wildcard" | "explicit";

/** Host names of cloud metadata services, refused by name before any lookup. */
export const METADATA_HOSTS: ReadonlySet<string> = new Set(["metadata.google.internal", "metadata", "instance-data"]);

/** How `host` (lower case, without brackets) on `port` matches the allow list. */
export function matchHost(policy: EgressPolicy, host: string, port: number): HostMatch {
  let match: HostMatch = "none";
  for (const entry of policy.allowHosts) {
    const { pattern, entryPort } = splitEntry(entry.toLowerCase());
    if (entryPort !== undefined && entryPort !== port) continue;
    if (pattern === "*") {
      if (match === "none") match = "wildcard";
    } else if (pattern.startsWith("*.") ? isIP(host) === 0 && host.endsWith(pattern.slice(1)) : host === pattern) {
      return "explicit";
    }
  }
  return match;
}

const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["100::", 64],
  ["2001:db8::", 32],
  ["2002::", 16],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, "ipv6");
}

/** Whether `address` (an IP literal) is a public unicast address; IPv4-mapped IPv6 is judged as its IPv4 address. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? fromHexMapped(address);
    if (mapped !== undefined) return isPublicAddress(mapped);
    return !NON_PUBLIC.check(address, "ipv6");
  }
  return !NON_PUBLIC.check(address, "ipv4");
}

/** Why connecting to `address` for a host matched as `match` is refused, or undefined when it is allowed. */
export function addressRefusal(policy: EgressPolicy, match: HostMatch, address: string): string | undefined {
  if (isPublicAddress(address)) return undefined;
  if (policy.allowPrivateNetwork && match === "explicit") return undefined;
  return `${address} is a loopback, private, link-local or metadata address`;
}

function splitEntry(entry: string): { pattern: string; entryPort?: number } {
  const colon = entry.lastIndexOf(":");
  if (colon < 0) return { pattern: entry };
  return { pattern: entry.slice(0, colon), entryPort: Number(entry.slice(colon + 1)) };
}

function fromHexMapped(address: string): string | undefined {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (m === null) return undefined;
  const hi = parseInt(m[1] ?? "0", 16);
  const lo = parseInt(m[2] ?? "0", 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}
