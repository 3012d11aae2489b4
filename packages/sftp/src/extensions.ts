/**
 * Parsers and builders for the VERSION extensions of v4-v6: `versions`, `newline`, `vendor-id`
 * (filexfer-13 §5.4, §5.5, §4.4), `supported` (filexfer-05 §4.4) and `supported2` (filexfer-13
 * §5.4), and the codec of users-groups-by-id@openssh.com. Parsers throw only WireError.
 * @module
 */

import { Reader, Writer } from '@ssh/wire';
import { readText } from './attrs.ts';

export interface VendorId {
  readonly vendorName: string;
  readonly productName: string;
  readonly productVersion: string;
  readonly productBuildNumber: bigint;
}

/** What a v5 (`supported`) or v6 (`supported2`) server says it supports. */
export interface SupportedInfo {
  readonly supportedAttributeMask: number;
  readonly supportedAttributeBits: number;
  readonly supportedOpenFlags: number;
  readonly supportedAccessMask: number;
  readonly maxReadSize: number;
  /** v6 only */
  readonly supportedOpenBlockVector?: number;
  readonly supportedBlockVector?: number;
  readonly attribExtensionNames?: readonly string[];
  readonly extensionNames: readonly string[];
}

export function parseVendorId(data: Uint8Array): VendorId {
  const r = new Reader(data);
  const v = {
    vendorName: readText(r, 'vendor-name'),
    productName: readText(r, 'product-name'),
    productVersion: readText(r, 'product-version'),
    productBuildNumber: r.u64('product-build-number'),
  };
  r.end('vendor-id');
  return v;
}

export function encodeVendorId(v: VendorId): Uint8Array {
  return new Writer(64).utf8(v.vendorName).utf8(v.productName).utf8(v.productVersion).u64(v.productBuildNumber).finish();
}

/** The `versions` extension: a comma-separated list such as "3,4,5,6" (non-numbers dropped). */
export function parseVersions(data: Uint8Array): number[] {
  return new TextDecoder()
    .decode(data)
    .split(',')
    .map((s) => Number(s))
    .filter((n) => Number.isInteger(n) && n >= 0);
}

function readNames(r: Reader, count: number | undefined, field: string): string[] {
  const out: string[] = [];
  if (count === undefined) {
    while (!r.atEnd) out.push(readText(r, field));
    return out;
  }
  if (count > r.remaining / 4) throw r.error('too-long', `${field}-count`, `${count} names cannot fit in ${r.remaining} bytes`);
  for (let i = 0; i < count; i++) out.push(readText(r, field));
  return out;
}

/** `supported` (v5): five uint32 then extension names to the end. */
export function parseSupported(data: Uint8Array): SupportedInfo {
  const r = new Reader(data);
  return {
    supportedAttributeMask: r.u32('supported-attribute-mask'),
    supportedAttributeBits: r.u32('supported-attribute-bits'),
    supportedOpenFlags: r.u32('supported-open-flags'),
    supportedAccessMask: r.u32('supported-access-mask'),
    maxReadSize: r.u32('max-read-size'),
    extensionNames: readNames(r, undefined, 'extension-name'),
  };
}

/** `supported2` (v6): five uint32, two uint16, then counted attribute-extension and extension names. */
export function parseSupported2(data: Uint8Array): SupportedInfo {
  const r = new Reader(data);
  const supportedAttributeMask = r.u32('supported-attribute-mask');
  const supportedAttributeBits = r.u32('supported-attribute-bits');
  const supportedOpenFlags = r.u32('supported-open-flags');
  const supportedAccessMask = r.u32('supported-access-mask');
  const maxReadSize = r.u32('max-read-size');
  const vectors = r.raw(4, 'block-vectors');
  const attribExtensionNames = readNames(r, r.u32('attrib-extension-count'), 'attrib-extension-name');
  const extensionNames = readNames(r, r.u32('extension-count'), 'extension-name');
  r.end('supported2');
  return {
    supportedAttributeMask,
    supportedAttributeBits,
    supportedOpenFlags,
    supportedAccessMask,
    maxReadSize,
    supportedOpenBlockVector: ((vectors[0] as number) << 8) | (vectors[1] as number),
    supportedBlockVector: ((vectors[2] as number) << 8) | (vectors[3] as number),
    attribExtensionNames,
    extensionNames,
  };
}

/** Builds `supported2` (the server side of the v6 negotiation). */
export function encodeSupported2(info: SupportedInfo): Uint8Array {
  const w = new Writer(128)
    .u32(info.supportedAttributeMask >>> 0)
    .u32(info.supportedAttributeBits >>> 0)
    .u32(info.supportedOpenFlags >>> 0)
    .u32(info.supportedAccessMask >>> 0)
    .u32(info.maxReadSize >>> 0);
  const ob = info.supportedOpenBlockVector ?? 0;
  const b = info.supportedBlockVector ?? 0;
  w.raw(Uint8Array.of((ob >> 8) & 0xff, ob & 0xff, (b >> 8) & 0xff, b & 0xff));
  const attribNames = info.attribExtensionNames ?? [];
  w.u32(attribNames.length);
  for (const n of attribNames) w.utf8(n);
  w.u32(info.extensionNames.length);
  for (const n of info.extensionNames) w.utf8(n);
  return w.finish();
}

/** Builds `supported` (v5). */
export function encodeSupported(info: SupportedInfo): Uint8Array {
  const w = new Writer(128)
    .u32(info.supportedAttributeMask >>> 0)
    .u32(info.supportedAttributeBits >>> 0)
    .u32(info.supportedOpenFlags >>> 0)
    .u32(info.supportedAccessMask >>> 0)
    .u32(info.maxReadSize >>> 0);
  for (const n of info.extensionNames) w.utf8(n);
  return w.finish();
}

/** The request of users-groups-by-id@openssh.com: two strings, each a list of uint32 ids. */
export function encodeIdLists(uids: readonly number[], gids: readonly number[]): Uint8Array {
  const ids = (list: readonly number[]): Uint8Array => {
    const w = new Writer(4 * list.length + 4);
    for (const id of list) w.u32(id);
    return w.finish();
  };
  return new Writer(64).bytes(ids(uids)).bytes(ids(gids)).finish();
}

/** The reply of users-groups-by-id@openssh.com: one name per id asked for ('' when unknown). */
export function decodeUserGroupNames(reply: Uint8Array, users: number, groups: number): { users: string[]; groups: string[] } {
  const r = new Reader(reply);
  const names = (bytes: Uint8Array, n: number): string[] => {
    const rr = new Reader(bytes);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(readText(rr, 'name'));
    return out;
  };
  return { users: names(r.bytes('usernames'), users), groups: names(r.bytes('groupnames'), groups) };
}
