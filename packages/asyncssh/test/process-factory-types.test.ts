/**
 * processFactory's parameter type as TypeScript users meet it (this file is type-checked with
 * the package's strict settings): an unannotated `async (process) => ...` gets text streams, a
 * factory annotated for bytes serves `encoding: null`, and factories kept in variables of either
 * kind fit the options type. The option was a union of two function types, which gives an
 * inline arrow no contextual type at all (an implicit any under `strict`).
 */

import { readFileSync } from 'node:fs';
import { defaultClientKey, type KeyPair } from '@ssh/interop';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { connect, generatePrivateKey, listen, type SSHServerConnectionOptions, type SSHServerProcess } from '../src/index.ts';

let key: KeyPair;
beforeAll(async () => {
  key = await defaultClientKey();
});

function serverOptions(): SSHServerConnectionOptions {
  return { serverHostKeys: [generatePrivateKey('ssh-ed25519')], authorizedClientKeys: readFileSync(key.publicKeyPath, 'utf8') };
}

async function runOn(port: number, command: string, input: string): Promise<unknown> {
  await using conn = await connect({ host: '127.0.0.1', port, username: 'u', clientKeys: [key.privateKeyPath], knownHosts: null, agentPath: null, config: null });
  return (await conn.run(command, { input })).stdout;
}

describe('processFactory typing', () => {
  it('types an unannotated factory with text streams', async () => {
    await using acceptor = await listen('127.0.0.1', 0, {
      ...serverOptions(),
      processFactory: async (process) => {
        expectTypeOf(process).toEqualTypeOf<SSHServerProcess<string>>();
        const line = await process.stdin.readline();
        expectTypeOf(line).toEqualTypeOf<string>();
        process.stdout.write(`${process.command ?? ''}: ${line.toUpperCase()}`);
        process.exit(0);
      },
    });
    expect(await runOn(acceptor.getPort(), 'shout', 'hello\n')).toBe('shout: HELLO\n');
  });

  it('takes a factory annotated for bytes with encoding null', async () => {
    await using acceptor = await listen('127.0.0.1', 0, {
      ...serverOptions(),
      encoding: null,
      processFactory: async (process: SSHServerProcess<Uint8Array>) => {
        const data = await process.stdin.read();
        expectTypeOf(data).toEqualTypeOf<Uint8Array>();
        process.stdout.write(Uint8Array.from(data, (b) => b ^ 0x20));
        process.exit(0);
      },
    });
    expect(await runOn(acceptor.getPort(), 'flip', 'abc')).toBe('ABC');
  });

  it('accepts factories held in variables of either kind in the options type', () => {
    const text = (process: SSHServerProcess<string>): void => process.exit(0);
    const bytes = (process: SSHServerProcess<Uint8Array>): void => process.exit(0);
    const either: Array<SSHServerConnectionOptions> = [{ processFactory: text }, { processFactory: bytes, encoding: null }];
    expect(either.map((o) => typeof o.processFactory)).toEqual(['function', 'function']);
  });
});
