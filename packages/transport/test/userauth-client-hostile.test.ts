/** A hostile server against UserauthClient, driven message by message over a fake transport. */
import { ServiceAccept, UserauthFailure, UserauthPasswdChangereq } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import { ProtocolError, UserauthClient, type AuthTransport, type UserauthClientEvent } from '../src/index.ts';

function fake(): AuthTransport & { sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  return { sessionId: new Uint8Array(32), sent, send: (p) => void sent.push(p), disconnect: () => undefined };
}

function events(client: UserauthClient): UserauthClientEvent[] {
  const out: UserauthClientEvent[] = [];
  for (let e = client.nextEvent(); e; e = client.nextEvent()) out.push(e);
  return out;
}

/** A client whose password request is out. */
function passwordSent(): UserauthClient {
  const client = new UserauthClient(fake(), { username: 'u', password: 'pw', methods: ['password'] });
  client.start();
  client.receive(ServiceAccept.encode({ serviceName: 'ssh-userauth' }));
  client.receive(UserauthFailure.encode({ methods: ['password'], partialSuccess: false }));
  return client;
}

describe('USERAUTH_PASSWD_CHANGEREQ from a hostile server', () => {
  it('a second one while the application still answers the first is a ProtocolError, not another prompt', () => {
    const client = passwordSent();
    const changereq = UserauthPasswdChangereq.encode({ prompt: 'change it', languageTag: '' });
    client.receive(changereq);
    expect(events(client).map((e) => e.type)).toEqual(['password-change-requested']);
    for (let i = 0; i < 1000 && !client.finished; i++) client.receive(changereq);
    const after = events(client);
    expect(after.filter((e) => e.type === 'password-change-requested')).toEqual([]);
    const failure = after.find((e) => e.type === 'failure');
    expect(failure?.type === 'failure' && failure.error).toBeInstanceOf(ProtocolError);
  });

  it('one after the new password was sent is asked again (RFC 4252 §8)', () => {
    const client = passwordSent();
    const changereq = UserauthPasswdChangereq.encode({ prompt: 'change it', languageTag: '' });
    client.receive(changereq);
    const ask = events(client)[0];
    if (ask?.type !== 'password-change-requested') throw new Error('no prompt');
    client.resolve(ask.id, { oldPassword: 'pw', newPassword: 'weak' });
    client.receive(changereq);
    expect(events(client).map((e) => e.type)).toEqual(['password-change-requested']);
  });
});
