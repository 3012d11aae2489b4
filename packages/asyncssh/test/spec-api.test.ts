/**
 * Every function, class and method the API specification names (AsyncSSH's autofunction,
 * autoclass/autoexception and automethod entries, in camelCase: test/fixtures/spec-api.json,
 * extracted from the spec) is there at run time in @ssh/asyncssh's public entry. Classes that are
 * interfaces in TypeScript (session handlers, option bags, plain SFTP records) have no run-time
 * value and are listed as such; the one name not implemented yet is listed with the reason, so
 * that this test fails both when something goes missing and when that name arrives.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';

interface SpecApi {
  readonly functions: readonly string[];
  readonly classes: Readonly<Record<string, { readonly methods: readonly string[]; readonly attributes: readonly string[] }>>;
}

const spec = JSON.parse(readFileSync(new URL('./fixtures/spec-api.json', import.meta.url), 'utf8')) as SpecApi;

/** AsyncSSH classes that TypeScript users implement or pass as object literals: types only. */
const INTERFACES = new Set([
  'SSHClientConnectionOptions',
  'SSHServerConnectionOptions',
  'SSHClientSession',
  'SSHServerSession',
  'SSHTCPSession',
  'SSHUNIXSession',
  'SSHTunTapSession',
  'SFTPAttrs',
  'SFTPVFSAttrs',
  'SFTPName',
  'SFTPLimits',
]);

const exported = api as unknown as Record<string, unknown>;

describe('the API specification, at run time', () => {
  it('has every function', () => {
    const missing = spec.functions.filter((name) => typeof exported[name] !== 'function');
    expect(missing).toEqual([]);
  });

  it('has every class, with every method on its prototype (or as a static method)', () => {
    const missing: string[] = [];
    for (const [name, { methods }] of Object.entries(spec.classes)) {
      if (INTERFACES.has(name)) continue;
      const value = exported[name];
      if (typeof value !== 'function') {
        missing.push(name);
        continue;
      }
      const proto = (value as { prototype: Record<string, unknown> }).prototype;
      for (const method of methods) {
        const found = method in proto || method in (value as unknown as Record<string, unknown>);
        if (!found) missing.push(`${name}.${method}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('lists as interfaces only names that are not run-time values here', () => {
    expect([...INTERFACES].filter((name) => name in exported)).toEqual([]);
    expect([...INTERFACES].every((name) => name in spec.classes)).toBe(true);
  });

  it('keeps errors as Error subclasses', () => {
    for (const name of ['DisconnectError', 'ChannelOpenError', 'ChannelListenError', 'ProcessError', 'TimeoutError', 'PasswordChangeRequired', 'SFTPError', 'KeyImportError']) {
      const value = exported[name] as (new (...args: never[]) => unknown) | undefined;
      expect(value, name).toBeTypeOf('function');
      expect(Object.create((value as { prototype: object }).prototype) instanceof Error, name).toBe(true);
    }
  });
});
