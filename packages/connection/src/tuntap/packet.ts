/**
 * Packets of tun@openssh.com channels (OpenSSH PROTOCOL §2.3). Each channel message carries one
 * packet. In point-to-point (layer 3) mode a packet is preceded by a 4-byte address family in
 * network byte order, with OpenBSD's numbers whatever the platform (AF_INET 2, AF_INET6 24: OpenSSH
 * on Linux adds and strips this header itself); ethernet (layer 2) packets are bare frames.
 * @module
 */

import { TUN_MODE, TUN_UNIT_ANY } from '@ssh/wire';

/** The address families of the layer 3 header, as OpenBSD numbers them. */
export const TUN_AF = {
  INET: 2,
  INET6: 24,
} as const;

/** The length of the layer 3 address family header. */
export const TUN_HEADER_LENGTH = 4;

/** A tunnel mode: TUN_MODE.POINTOPOINT (1, TUN, layer 3) or TUN_MODE.ETHERNET (2, TAP, layer 2). */
export type TunMode = (typeof TUN_MODE)[keyof typeof TUN_MODE];

/** The address family header for an IP packet: IPv6 when its version nibble says 6, else IPv4. */
export function tunHeaderFor(packet: Uint8Array): Uint8Array {
  const af = ((packet[0] ?? 0) >> 4) === 6 ? TUN_AF.INET6 : TUN_AF.INET;
  return Uint8Array.of(0, 0, 0, af);
}

/** `packet` with its layer 3 header in front. */
export function addTunHeader(packet: Uint8Array): Uint8Array {
  const out = new Uint8Array(TUN_HEADER_LENGTH + packet.length);
  out.set(tunHeaderFor(packet), 0);
  out.set(packet, TUN_HEADER_LENGTH);
  return out;
}

/** The packet after the layer 3 header (empty when the message is shorter than the header). */
export function stripTunHeader(data: Uint8Array): Uint8Array {
  return data.subarray(Math.min(TUN_HEADER_LENGTH, data.length));
}

/** A tun@openssh.com open as checked: the mode, and the unit (undefined for "any"). */
export interface TunOpen {
  readonly mode: TunMode;
  readonly unit: number | undefined;
}

/**
 * Checks the type-specific fields of a tun@openssh.com open: a string saying what is wrong for
 * an unknown mode or a unit beyond 2^31 - 2 that is not TUN_UNIT_ANY.
 */
export function checkTunOpen(tunnelMode: number, remoteUnit: number): TunOpen | string {
  if (tunnelMode !== TUN_MODE.POINTOPOINT && tunnelMode !== TUN_MODE.ETHERNET) return `unknown tunnel mode ${tunnelMode}`;
  if (remoteUnit > TUN_UNIT_ANY) return `bad tunnel unit ${remoteUnit}`;
  return { mode: tunnelMode, unit: remoteUnit === TUN_UNIT_ANY ? undefined : remoteUnit };
}

/** The unit field of an open for `unit` (undefined or null: any). Throws a RangeError for a bad one. */
export function tunUnitField(unit: number | null | undefined): number {
  if (unit === undefined || unit === null) return TUN_UNIT_ANY;
  if (!Number.isInteger(unit) || unit < 0 || unit >= TUN_UNIT_ANY) throw new RangeError(`tunnel unit must be 0 to ${TUN_UNIT_ANY - 1}, not ${unit}`);
  return unit;
}
