/** What addKeys puts on the wire for its options: the sk-provider@openssh.com constraint of ssh-add -S among them. */
import { afterEach, describe, expect, it } from 'vitest';
import { generatePrivateKey } from '@ssh/keys';
import { Writer } from '@ssh/wire';
import { AGENT, decodeAgentRequest } from '../src/index.ts';
import { connectAgent } from '../src/node/index.ts';
import { type FakeAgent, frame, startFakeAgent } from './helpers/fake-agent.ts';

let agent: FakeAgent | undefined;

afterEach(async () => {
  await agent?.close();
  agent = undefined;
});

describe('addKeys constraints', () => {
  it('skProvider becomes sk-provider@openssh.com (one string: the library), after lifetime and confirm', async () => {
    agent = await startFakeAgent((_p, s) => s.write(frame(AGENT.SUCCESS)));
    const client = await connectAgent(agent.path, { timeoutMs: 5_000 });
    try {
      await client.addKeys([generatePrivateKey('ssh-ed25519')], { lifetime: 60, confirm: true, skProvider: '/usr/lib/sk/provider.so' });
    } finally {
      client.close();
    }
    const request = decodeAgentRequest(agent.requests[0] as Uint8Array);
    expect(request.type).toBe('add-identity');
    if (request.type !== 'add-identity') return;
    expect(request.constraints).toEqual([
      { type: 'lifetime', seconds: 60 },
      { type: 'confirm' },
      { type: 'extension', name: 'sk-provider@openssh.com', data: new Writer(32).utf8('/usr/lib/sk/provider.so').finish() },
    ]);
  });
});
