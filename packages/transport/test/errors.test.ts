/** Disconnect errors: classes per reason code, instanceof across the hierarchy, fromCode. */
import { DISCONNECT, SshError } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import {
  ConnectionLost,
  DisconnectError,
  HostKeyNotVerifiable,
  KeyExchangeFailed,
  MACError,
  PermissionDenied,
  ProtocolError,
  disconnectErrorFromCode,
} from '../src/errors.ts';

describe('DisconnectError', () => {
  it('carries the reason code, text and language', () => {
    const e = new ProtocolError('bad packet');
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e).toBeInstanceOf(DisconnectError);
    expect(e).toBeInstanceOf(SshError);
    expect(e).not.toBeInstanceOf(MACError);
    expect(e).toMatchObject({ reasonCode: 2, reason: 'bad packet', lang: 'en-US', code: 'SSH_ERR_DISCONNECT_PROTOCOL_ERROR' });
    expect(e.name).toBe('ProtocolError');
    expect(e.message).toBe('ssh: bad packet (PROTOCOL_ERROR)');
  });

  it('maps received reason codes to their classes', () => {
    expect(disconnectErrorFromCode(DISCONNECT.KEY_EXCHANGE_FAILED, 'x')).toBeInstanceOf(KeyExchangeFailed);
    expect(disconnectErrorFromCode(DISCONNECT.HOST_KEY_NOT_VERIFIABLE, 'x')).toBeInstanceOf(HostKeyNotVerifiable);
    expect(disconnectErrorFromCode(DISCONNECT.CONNECTION_LOST, 'x')).toBeInstanceOf(ConnectionLost);
    expect(disconnectErrorFromCode(DISCONNECT.NO_MORE_AUTH_METHODS_AVAILABLE, 'x')).toBeInstanceOf(PermissionDenied);
    const byApp = disconnectErrorFromCode(DISCONNECT.BY_APPLICATION, 'bye', 'fr');
    expect(byApp.constructor).toBe(DisconnectError);
    expect(byApp).toMatchObject({ reasonCode: 11, lang: 'fr', code: 'SSH_ERR_DISCONNECT_BY_APPLICATION' });
    expect(disconnectErrorFromCode(999, 'odd')).toMatchObject({ code: 'SSH_ERR_DISCONNECT_999', message: 'ssh: odd (reason 999)' });
  });
});
