/** Host-based authentication's client host: a reverse lookup kept only when the name maps back to the address. */
import { describe, expect, it } from 'vitest';
import { resolveClientHost, type HostResolver } from '../src/client-host.ts';

/** A resolver over fixed tables; a missing entry fails as an unknown name does. */
function tables(ptr: Record<string, string>, a: Record<string, readonly string[]>): HostResolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    reverse: async (address) => {
      asked.push(`ptr ${address}`);
      const name = ptr[address];
      if (name === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return name;
    },
    forward: async (name) => {
      asked.push(`a ${name}`);
      const addresses = a[name];
      if (addresses === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return addresses;
    },
  };
}

describe('resolveClientHost', () => {
  it('gives the reverse name, in lower case and without its final dot, when it maps back to the address', async () => {
    const r = tables({ '192.0.2.7': 'Client.Example.COM.' }, { 'client.example.com': ['198.51.100.1', '192.0.2.7'] });
    expect(await resolveClientHost('192.0.2.7', 50000, r)).toBe('client.example.com');
    expect(r.asked).toEqual(['ptr 192.0.2.7', 'a client.example.com']);
  });

  it('gives the address when the name does not map back to it (a PTR record anyone with the zone could write)', async () => {
    const r = tables({ '192.0.2.7': 'trusted.example.com' }, { 'trusted.example.com': ['198.51.100.1'] });
    expect(await resolveClientHost('192.0.2.7', 50000, r)).toBe('192.0.2.7');
  });

  it('gives the address when either lookup fails', async () => {
    expect(await resolveClientHost('192.0.2.7', 1, tables({}, {}))).toBe('192.0.2.7');
    expect(await resolveClientHost('192.0.2.7', 1, tables({ '192.0.2.7': 'gone.example.com' }, {}))).toBe('192.0.2.7');
  });

  it('does not take an address literal from a PTR record for a name', async () => {
    const r = tables({ '192.0.2.7': '10.0.0.1' }, { '10.0.0.1': ['192.0.2.7'] });
    expect(await resolveClientHost('192.0.2.7', 1, r)).toBe('192.0.2.7');
    expect(r.asked).toEqual(['ptr 192.0.2.7']);
  });

  it('compares IPv6 addresses in one spelling, and IPv4-mapped ones as IPv4', async () => {
    const v6 = tables({ '2001:db8::7': 'six.example.com' }, { 'six.example.com': ['2001:DB8::7'] });
    expect(await resolveClientHost('2001:db8::7', 1, v6)).toBe('six.example.com');
    const mapped = tables({ '192.0.2.7': 'four.example.com' }, { 'four.example.com': ['::ffff:192.0.2.7'] });
    expect(await resolveClientHost('192.0.2.7', 1, mapped)).toBe('four.example.com');
  });
});
