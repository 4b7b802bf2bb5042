/**
 * Which addresses webhook deliveries may connect to. The egress work brings the one
 * address-policy module of the control plane; until it lands, this interim check refuses what
 * it refuses by default (loopback, private, link-local and metadata, unspecified, multicast and
 * reserved ranges, IPv4 embedded in IPv6), and the dispatcher takes the check as a parameter.
 */
import { BlockList, isIP } from "node:net";

/** Says why an address may not be connected to, or undefined when it may. */
export type AddressCheck = (address: string) => string | undefined;

const refused: readonly [string, number, "ipv4" | "ipv6", string][] = [
  ["0.0.0.0", 8, "ipv4", "unspecified"],
  ["10.0.0.0", 8, "ipv4", "private"],
  ["100.64.0.0", 10, "ipv4", "shared (CGNAT)"],
  ["127.0.0.0", 8, "ipv4", "loopback"],
  ["169.254.0.0", 16, "ipv4", "link-local (cloud metadata)"],
  ["172.16.0.0", 12, "ipv4", "private"],
  ["192.0.0.0", 24, "ipv4", "reserved"],
  ["192.168.0.0", 16, "ipv4", "private"],
  ["198.18.0.0", 15, "ipv4", "benchmarking"],
  ["224.0.0.0", 4, "ipv4", "multicast"],
  ["240.0.0.0", 4, "ipv4", "reserved"],
  ["::", 128, "ipv6", "unspecified"],
  ["::1", 128, "ipv6", "loopback"],
  ["fc00::", 7, "ipv6", "private (unique local)"],
  ["fe80::", 10, "ipv6", "link-local"],
  ["ff00::", 8, "ipv6", "multicast"],
];

const lists = refused.map(([net, prefix, family, why]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, family);
  return { list, family, why };
});

/** The IPv4 address an IPv6 address carries (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::), if any. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return undefined;
  const hi = parseInt(hex[1]!, 16);
  const lo = parseInt(hex[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Refuses non-public addresses (the default); with `allowPrivate` (RAWORC_WEBHOOKS_ALLOW_PRIVATE=1) allows every address. */
export function webhookAddressCheck(allowPrivate: boolean): AddressCheck {
  if (allowPrivate) return () => undefined;
  const check = (address: string): string | undefined => {
    const family = isIP(address);
    if (family === 0) return `"${address}" is not an IP address`;
    const v4 = family === 6 ? embeddedIpv4(address) : undefined;
    if (v4 !== undefined) return check(v4);
    const kind = family === 4 ? "ipv4" : "ipv6";
    const hit = lists.find((l) => l.family === kind && l.list.check(address, kind));
    return hit ? `${address} is a ${hit.why} address; set RAWORC_WEBHOOKS_ALLOW_PRIVATE=1 to allow such receivers` : undefined;
  };
  return check;
}
