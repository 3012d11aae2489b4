/**
 * The window of the first key exchange after the server's NEWKEYS and before the client has
 * decided to trust the host key (and sent its own NEWKEYS): a server has nothing of the layers
 * above to say then (they start with the client's SERVICE_REQUEST), and nothing it sends may reach
 * them before its key is trusted: the client leaves such packets unread until the check is answered.
 */
import { MSG, ServiceAccept, UserauthBanner } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import { HostKeyNotVerifiable, ProtocolError, type TransportEvent } from '../src/index.ts';
import { deliver, drain, inject, ownDisconnect, pair } from './helpers/hostile.ts';
import type { Side } from './helpers/pump.ts';

/** Runs the first key exchange until the client is asked to verify the host key; returns that event. */
function untilVerify(c: Side, s: Side): Extract<TransportEvent, { type: 'verify-host-key' }> {
  for (let round = 0; round < 10; round++) {
    deliver(c, s);
    deliver(s, c);
    drain(s);
    const v = drain(c).find((e) => e.type === 'verify-host-key');
    if (v?.type === 'verify-host-key') return v;
  }
  throw new Error('no verify-host-key event');
}

const cases = [
  ['USERAUTH_BANNER', UserauthBanner.encode({ message: 'trust me', languageTag: '' })],
  ['USERAUTH_SUCCESS', Uint8Array.of(MSG.USERAUTH_SUCCESS)],
  ['SERVICE_ACCEPT', ServiceAccept.encode({ serviceName: 'ssh-userauth' })],
] as const;

describe('messages from a server whose host key is not yet trusted', () => {
  it.each(cases)('%s waits for the check, and never arrives when the key is refused', (_, payload) => {
    const [c, s] = pair();
    const verify = untilVerify(c, s);
    inject(s.transport, payload);
    deliver(s, c);
    expect(drain(c)).toEqual([]);
    c.transport.resolveHostKey(verify.id, false);
    const events = drain(c);
    expect(events.filter((e) => e.type === 'message')).toEqual([]);
    expect(ownDisconnect(c)).toBeInstanceOf(HostKeyNotVerifiable);
  });

  it.each(cases)('%s arrives only after the first key exchange completed once the key is trusted', (_, payload) => {
    const [c, s] = pair();
    const verify = untilVerify(c, s);
    inject(s.transport, payload);
    deliver(s, c);
    expect(drain(c)).toEqual([]);
    c.transport.resolveHostKey(verify.id, true);
    expect(drain(c).map((e) => e.type)).toEqual(['kex-complete', 'ext-info', 'message']);
  });

  it('a server that sends more than 1 MiB while its key is checked is refused with ProtocolError', () => {
    const [c, s] = pair();
    untilVerify(c, s);
    for (let i = 0; i < 12; i++) inject(s.transport, UserauthBanner.encode({ message: 'x'.repeat(100_000), languageTag: '' }));
    deliver(s, c);
    drain(c);
    expect(ownDisconnect(c)).toBeInstanceOf(ProtocolError);
  });
});
