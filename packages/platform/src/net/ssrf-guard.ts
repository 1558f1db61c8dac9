import { lookup } from 'node:dns/promises';
import { isIP, BlockList } from 'node:net';

/** Addresses a customer-supplied URL may never reach (unless an operator allows it, e.g. in tests). */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
// Besides loopback, unique-local, link-local and multicast: the ranges that carry an IPv4 address
// inside (IPv4-compatible ::/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16, Teredo
// 2001::/32), which on a network that translates them would reach 169.254.169.254 and the like;
// and the deprecated site-local fec0::/10, still routed inside some networks.
for (const [net, prefix] of [
  ['::', 96], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['2002::', 16], ['2001::', 32], ['100::', 64],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/**
 * IPv4-mapped ::ffff:0:0/96, refused as a whole: the URL parser writes [::ffff:169.254.169.254] as
 * [::ffff:a9fe:a9fe], and a public IPv4 host is reached as IPv4 anyway. Its own list, consulted for
 * IPv6 input only: in Node's BlockList this subnet also matches every plain IPv4 address.
 */
const ipv4Mapped = new BlockList();
ipv4Mapped.addSubnet('::ffff:0:0', 96, 'ipv6');

export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return blocked.check(ip, 'ipv4');
  if (family === 6) return ipv4Mapped.check(ip, 'ipv6') || blocked.check(ip, 'ipv6');
  return true;
}

export interface UrlPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
}

/** Returns a reason the URL is refused, or null when it may be used. Resolves the host name. */
export async function checkOutboundUrl(raw: string, policy: UrlPolicy): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:')) return policy.allowHttp ? 'must use http or https' : 'must use https';
  if (url.username || url.password) return 'must not contain credentials';
  if (policy.allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    return `host ${host} does not resolve`;
  }
  if (!addresses.length || addresses.some(isPrivateAddress)) return 'resolves to a private, loopback or link-local address';
  return null;
}
