import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Where webhooks may be delivered. By default nowhere inside: not loopback, link-local (the cloud
 * metadata service at 169.254.169.254 among it), private, shared (CGNAT), unspecified, multicast
 * or reserved addresses, checked for every address a name resolves to, when an endpoint is added
 * and again at each delivery (the connection goes to the address that was checked). An operator
 * running Rollcall on premises allows them explicitly (`--allow-private-webhooks`).
 */
export interface TargetPolicy {
  readonly allowPrivate: boolean;
}

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv6');

/** Whether an address is one a webhook may not reach by default (IPv4-mapped IPv6 is read as its IPv4). */
export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return BLOCKED.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Why a URL's host may not receive webhooks under the policy, or undefined when it may. Names are
 * resolved unless `resolve` is false (a delivery connects through guardedLookup, which checks them).
 */
export async function refusedTarget(url: URL, policy: TargetPolicy, resolve = true): Promise<string | undefined> {
  if (policy.allowPrivate) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return isInternalAddress(host) ? `${host} is an internal address` : undefined;
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is this machine`;
  if (!resolve) return undefined;
  const addresses = await new Promise<LookupAddress[]>((resolve) => dnsLookup(host, { all: true }, (err, a) => resolve(err ? [] : a)));
  const internal = addresses.find((a) => isInternalAddress(a.address));
  return internal ? `${host} resolves to the internal address ${internal.address}` : undefined;
}

/**
 * A DNS lookup for outgoing connections that refuses internal addresses: the socket connects to
 * the very address checked here, so a name cannot resolve to a public address when added and to
 * an internal one at delivery (DNS rebinding).
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return (callback as (e: NodeJS.ErrnoException) => void)(err);
    const internal = addresses.find((a) => isInternalAddress(a.address));
    if (internal) {
      const refused = Object.assign(
        new Error(`${hostname} resolves to the internal address ${internal.address} (webhooks to internal addresses are not allowed)`),
        { code: 'ROLLCALL_INTERNAL_TARGET' },
      );
      return (callback as (e: NodeJS.ErrnoException) => void)(refused);
    }
    if ((options as { all?: boolean }).all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0]!;
    (callback as (e: null, a: string, f: number) => void)(null, first.address, first.family);
  });
};
