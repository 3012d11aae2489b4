/**
 * The algorithm registry: SSH names mapped to implementations and metadata, per kind.
 *
 * A registry is an immutable object (never module-global state): `createRegistry().use(table)`
 * returns a new registry. Within a kind, registration order is preference order, so a table
 * written in the spec's order yields the spec's default offer list.
 * @module
 */

import { AlgorithmListError, UnknownAlgorithmError, type AlgorithmKind } from './errors.ts';
import { expandAlgorithmList } from './algorithm-list.ts';
import { negotiateAlgorithm } from './negotiate.ts';
import type { CipherImpl } from './cipher/types.ts';
import type { MacImpl } from './mac/types.ts';
import type { KexImpl } from './kex/types.ts';
import type { CompressionImpl } from './compression/types.ts';

/** One registered algorithm. */
export interface AlgorithmSpec<I> {
  /** Exact wire name, e.g. `chacha20-poly1305@openssh.com`. */
  readonly name: string;
  /** Other names that resolve to this entry in `get()` (not listed by `names()`). */
  readonly aliases?: readonly string[];
  /** In the default offer list. */
  readonly default: boolean;
  /** Weak by today's standards (kept for interoperability, never on by default). */
  readonly insecure?: true;
  /** Capability probe: false when this runtime cannot run the algorithm. */
  readonly available?: () => boolean;
  /** Descriptor and factory. */
  readonly impl: I;
}

/** Implementation type per kind. */
export interface AlgorithmImpls {
  kex: KexImpl;
  cipher: CipherImpl;
  mac: MacImpl;
  compression: CompressionImpl;
}

export type { AlgorithmKind };

/** Registration table: per kind, entries in preference order. */
export type AlgorithmTable = { readonly [K in AlgorithmKind]?: readonly AlgorithmSpec<AlgorithmImpls[K]>[] };

export interface NamesOptions {
  /** Only the default offer list. */
  readonly defaultsOnly?: boolean;
  /** Include entries whose `available()` probe says no. */
  readonly includeUnavailable?: boolean;
}

/** Every kind, in the order `ssh -Q` users expect to see them. */
export const ALGORITHM_KINDS: readonly AlgorithmKind[] = ['kex', 'cipher', 'mac', 'compression'];

export interface Registry {
  /** A new registry with the entries of `table` added after the existing ones. Duplicate names are an error. */
  use(table: AlgorithmTable): Registry;
  /** The entry named `name` (or aliased so), available or not. */
  get<K extends AlgorithmKind>(kind: K, name: string): AlgorithmSpec<AlgorithmImpls[K]> | undefined;
  /** Like `get`, but throws `UnknownAlgorithmError` for unknown or unavailable names. */
  require<K extends AlgorithmKind>(kind: K, name: string): AlgorithmSpec<AlgorithmImpls[K]>;
  /** Names in preference order; by default every available algorithm. */
  names(kind: AlgorithmKind, options?: NamesOptions): string[];
  /**
   * Expands an algorithm list in OpenSSH/AsyncSSH syntax (`a,b`, `+x`, `-y*`, `^z`, `default`)
   * against this registry's default and supported lists. Arrays are taken as exact names.
   */
  parseList(kind: AlgorithmKind, list: string | readonly string[]): string[];
  /** RFC 4253 §7.1: the first client algorithm the server also offers. */
  negotiate(kind: AlgorithmKind, client: readonly string[], server: readonly string[]): string;
}

type Entries = { readonly [K in AlgorithmKind]: readonly AlgorithmSpec<AlgorithmImpls[K]>[] };

function isAvailable(spec: AlgorithmSpec<unknown>): boolean {
  return spec.available === undefined || spec.available();
}

class RegistryImpl implements Registry {
  private readonly entries: Entries;
  private readonly index: { readonly [K in AlgorithmKind]: ReadonlyMap<string, AlgorithmSpec<AlgorithmImpls[K]>> };

  constructor(entries: Entries) {
    this.entries = entries;
    const build = <K extends AlgorithmKind>(kind: K): Map<string, AlgorithmSpec<AlgorithmImpls[K]>> => {
      const map = new Map<string, AlgorithmSpec<AlgorithmImpls[K]>>();
      for (const spec of entries[kind] as readonly AlgorithmSpec<AlgorithmImpls[K]>[]) {
        for (const n of [spec.name, ...(spec.aliases ?? [])]) {
          if (map.has(n)) throw new AlgorithmListError(kind, n, 'registered twice');
          map.set(n, spec);
        }
      }
      return map;
    };
    this.index = { kex: build('kex'), cipher: build('cipher'), mac: build('mac'), compression: build('compression') };
  }

  use(table: AlgorithmTable): Registry {
    return new RegistryImpl({
      kex: [...this.entries.kex, ...(table.kex ?? [])],
      cipher: [...this.entries.cipher, ...(table.cipher ?? [])],
      mac: [...this.entries.mac, ...(table.mac ?? [])],
      compression: [...this.entries.compression, ...(table.compression ?? [])],
    });
  }

  get<K extends AlgorithmKind>(kind: K, name: string): AlgorithmSpec<AlgorithmImpls[K]> | undefined {
    return (this.index[kind] as ReadonlyMap<string, AlgorithmSpec<AlgorithmImpls[K]>>).get(name);
  }

  require<K extends AlgorithmKind>(kind: K, name: string): AlgorithmSpec<AlgorithmImpls[K]> {
    const spec = this.get(kind, name);
    if (spec === undefined) throw new UnknownAlgorithmError(kind, name);
    if (!isAvailable(spec)) throw new UnknownAlgorithmError(kind, name, 'not available in this runtime');
    return spec;
  }

  names(kind: AlgorithmKind, options: NamesOptions = {}): string[] {
    const out: string[] = [];
    for (const spec of this.entries[kind] as readonly AlgorithmSpec<unknown>[]) {
      if (options.defaultsOnly === true && !spec.default) continue;
      if (options.includeUnavailable !== true && !isAvailable(spec)) continue;
      out.push(spec.name);
    }
    return out;
  }

  parseList(kind: AlgorithmKind, list: string | readonly string[]): string[] {
    const supported = this.names(kind);
    if (typeof list !== 'string') {
      for (const name of list) this.require(kind, name);
      return [...new Set(list)];
    }
    return expandAlgorithmList(kind, list, this.names(kind, { defaultsOnly: true }), supported, (name) => {
      const spec = this.get(kind, name);
      return spec === undefined ? 'unknown' : isAvailable(spec) ? 'ok' : 'unavailable';
    });
  }

  negotiate(kind: AlgorithmKind, client: readonly string[], server: readonly string[]): string {
    return negotiateAlgorithm(kind, client, server);
  }
}

/** A registry; empty unless tables are given (`createRegistry(standardAlgorithms)`). */
export function createRegistry(...tables: readonly AlgorithmTable[]): Registry {
  let r: Registry = new RegistryImpl({ kex: [], cipher: [], mac: [], compression: [] });
  for (const t of tables) r = r.use(t);
  return r;
}
