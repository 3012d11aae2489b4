/**
 * Whether TUN/TAP device tests can run here: Linux, /dev/net/tun, and CAP_NET_ADMIN in the
 * effective capabilities (bit 12 of /proc/self/status's CapEff).
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';

/** Why TUN/TAP devices cannot be created here, or undefined when they can. */
export function tunDevicesUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun';
  const capEff = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  if (capEff === undefined || (BigInt(`0x${capEff}`) & (1n << 12n)) === 0n) return 'no CAP_NET_ADMIN';
  return undefined;
}
