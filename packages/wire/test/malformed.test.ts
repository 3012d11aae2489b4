/** Malformed input: every failure is a WireError naming the field and the offset where it starts. */
import { describe, expect, it } from 'vitest';
import {
  ChannelData,
  ChannelEof,
  ChannelRequest,
  ChannelRequests,
  Disconnect,
  ExtInfo,
  KexInit,
  KexdhInit,
  Reader,
  UserauthInfoResponse,
  WireError,
  Writer,
  genericMessages,
  kexDhMessages,
} from '../src/index.ts';

function failure(f: () => unknown): WireError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    return e as WireError;
  }
  throw new Error('expected a WireError');
}

const te = new TextEncoder();
const channelData = ChannelData.encode({ recipientChannel: 7, data: te.encode('hello world') });

describe('truncated input', () => {
  it('at every cut of a valid message', () => {
    for (let cut = 1; cut < channelData.length; cut++) {
      const e = failure(() => ChannelData.decode(channelData.subarray(0, cut)));
      expect(['truncated', 'too-long']).toContain(e.reason);
      expect(e.field).toMatch(/^SSH_MSG_CHANNEL_DATA\.(recipientChannel|data)$/);
    }
    expect(failure(() => ChannelData.decode(channelData.subarray(0, 3)))).toMatchObject({
      reason: 'truncated',
      field: 'SSH_MSG_CHANNEL_DATA.recipientChannel',
      offset: 1,
    });
  });
  it('an empty payload', () => {
    expect(failure(() => ChannelData.decode(new Uint8Array(0))).reason).toBe('truncated');
    expect(failure(() => genericMessages.decode(new Uint8Array(0))).reason).toBe('truncated');
  });
});

describe('lengths', () => {
  it('a string longer than what remains', () => {
    const bad = channelData.slice();
    bad[8] = 12; // claims 12 bytes, 11 remain
    expect(failure(() => ChannelData.decode(bad))).toMatchObject({ reason: 'too-long', field: 'SSH_MSG_CHANNEL_DATA.data', offset: 5 });
  });
  it('a string longer than the configured maximum', () => {
    expect(failure(() => ChannelData.decode(channelData, { maxStringLength: 10 }))).toMatchObject({
      reason: 'too-long',
      field: 'SSH_MSG_CHANNEL_DATA.data',
      offset: 5,
    });
    expect(ChannelData.decode(channelData, { maxStringLength: 11 }).data.length).toBe(11);
  });
  it('a 4 GiB length claim fails at once', () => {
    const bad = Uint8Array.of(94, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 1, 2, 3);
    expect(failure(() => ChannelData.decode(bad)).reason).toBe('too-long');
  });
  it('a list count the remaining bytes cannot hold', () => {
    const bad = Uint8Array.of(61, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);
    expect(failure(() => UserauthInfoResponse.decode(bad))).toMatchObject({
      reason: 'too-long',
      field: 'SSH_MSG_USERAUTH_INFO_RESPONSE.responses',
      offset: 1,
    });
  });
});

describe('non-canonical values', () => {
  it('a boolean of 2', () => {
    const ok = ChannelRequest.encode({ recipientChannel: 1, requestType: 'shell', wantReply: true, request: { type: 'shell' } });
    const bad = ok.slice();
    bad[bad.length - 1] = 2;
    expect(failure(() => ChannelRequest.decode(bad))).toMatchObject({
      reason: 'non-canonical',
      field: 'SSH_MSG_CHANNEL_REQUEST.wantReply',
      offset: bad.length - 1,
    });
  });
  it('an mpint with a redundant leading zero', () => {
    const bad = Uint8Array.of(30, 0, 0, 0, 2, 0x00, 0x7f);
    expect(failure(() => KexdhInit.decode(bad))).toMatchObject({ reason: 'non-canonical', field: 'SSH_MSG_KEXDH_INIT.e', offset: 1 });
  });
  it('an mpint with a redundant leading 0xff', () => {
    const bad = Uint8Array.of(30, 0, 0, 0, 2, 0xff, 0x80);
    expect(failure(() => kexDhMessages.decode(bad)).reason).toBe('non-canonical');
  });
});

describe('text', () => {
  it('invalid UTF-8 where UTF-8 is required', () => {
    const bad = new Writer(1).u8(1).u32(2).bytes(Uint8Array.of(0xc3, 0x28)).bytes(new Uint8Array(0)).finish();
    expect(failure(() => Disconnect.decode(bad))).toMatchObject({ reason: 'invalid-utf8', field: 'SSH_MSG_DISCONNECT.description', offset: 5 });
  });
  it('invalid UTF-8 in a long string (decoder path)', () => {
    const long = new Uint8Array(200).fill(0x61);
    long[150] = 0xff;
    const bad = new Writer(1).u8(1).u32(2).bytes(long).bytes(new Uint8Array(0)).finish();
    expect(failure(() => Disconnect.decode(bad)).reason).toBe('invalid-utf8');
  });
  it('empty names in a name-list are dropped, not refused (as OpenSSH and AsyncSSH do)', () => {
    // libssh 0.10's default KEXINIT ends both cipher lists with a comma. RFC 4251 §5 forbids
    // sending an empty name; one received can match nothing, and sshd and AsyncSSH ignore it.
    const libssh = 'chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr,';
    const w = new Writer(1).u8(20).raw(new Uint8Array(16)).nameList(['curve25519-sha256']).nameList(['ssh-ed25519']).bytes(te.encode(libssh)).bytes(te.encode(libssh));
    for (let i = 0; i < 6; i++) w.nameList(i < 4 ? ['hmac-sha2-256', 'none'].slice(i >> 1) : []);
    const kexinit = KexInit.decode(w.bool(false).u32(0).finish());
    expect(kexinit.encryptionAlgorithmsClientToServer).toEqual(libssh.split(',').slice(0, -1));
    expect(kexinit.encryptionAlgorithmsServerToClient).toHaveLength(6);
    for (const [text, names] of [
      ['a,,b', ['a', 'b']],
      [',a', ['a']],
      [',', []],
      [',,,', []],
    ] as const) {
      expect(new Reader(new Writer(1).bytes(te.encode(text)).finish()).nameList()).toEqual(names);
    }
  });
  it('a non-ASCII byte in a name-list', () => {
    const w = new Writer(1).u8(20).raw(new Uint8Array(16)).bytes(Uint8Array.of(0x61, 0xe9));
    expect(failure(() => KexInit.decode(w.finish())).reason).toBe('invalid-value');
  });
  it('invalid UTF-8 in an ext-info value', () => {
    const bad = new Writer(1).u8(7).u32(1).latin1('no-flow-control').bytes(Uint8Array.of(0xff)).finish();
    expect(failure(() => ExtInfo.decode(bad))).toMatchObject({ reason: 'invalid-utf8', field: 'ext-info extension "no-flow-control".value' });
  });
});

describe('trailing bytes', () => {
  it('after the last field', () => {
    const ok = ChannelEof.encode({ recipientChannel: 3 });
    const bad = Uint8Array.of(...ok, 0);
    expect(failure(() => ChannelEof.decode(bad))).toMatchObject({ reason: 'trailing-data', field: 'SSH_MSG_CHANNEL_EOF', offset: 5 });
  });
  it('after a known request type', () => {
    const ok = ChannelRequest.encode({ recipientChannel: 1, requestType: 'exit-status', wantReply: false, request: { type: 'exit-status', exitStatus: 0 } });
    expect(failure(() => ChannelRequest.decode(Uint8Array.of(...ok, 9))).reason).toBe('trailing-data');
    expect(failure(() => ChannelRequests.decode('exit-status', Uint8Array.of(0, 0, 0, 0, 9))).reason).toBe('trailing-data');
  });
  it('inside a nested string (ext-info value)', () => {
    const value = new Writer(1).nameList(['zlib']).nameList(['none']).u8(0).finish();
    const bad = new Writer(1).u8(7).u32(1).latin1('delay-compression').bytes(value).finish();
    expect(failure(() => ExtInfo.decode(bad)).reason).toBe('trailing-data');
  });
});

describe('message numbers', () => {
  it('a number the generic table does not declare, method-specific ones included', () => {
    for (const n of [0, 9, 19, 22, 30, 31, 49, 60, 61, 79, 83, 101, 191, 194, 255]) {
      const e = failure(() => genericMessages.decode(Uint8Array.of(n, 0, 0, 0, 0)));
      expect(e).toMatchObject({ reason: 'unknown-message', offset: 0 });
      expect(genericMessages.get(n)).toBeUndefined();
    }
  });
  it('a payload for another message', () => {
    expect(failure(() => ChannelData.decode(Uint8Array.of(95, 0, 0, 0, 0, 0, 0, 0, 0)))).toMatchObject({
      reason: 'invalid-value',
      field: 'SSH_MSG_CHANNEL_DATA.messageNumber',
      offset: 0,
    });
  });
});

describe('PTY modes (RFC 4254 §8)', () => {
  const ptyReq = (modes: Uint8Array): Uint8Array =>
    new Writer(1).u8(98).u32(0).latin1('pty-req').bool(true).utf8('xterm').u32(80).u32(24).u32(0).u32(0).bytes(modes).finish();
  const modesOf = (payload: Uint8Array): unknown => {
    const m = ChannelRequest.decode(payload);
    return m.request instanceof Uint8Array || m.request.type !== 'pty-req' ? undefined : m.request.modes;
  };
  it('stops at TTY_OP_END, accepts a missing one, and stops at opcodes 160-255', () => {
    expect(modesOf(ptyReq(Uint8Array.of(53, 0, 0, 0, 1, 0)))).toEqual([[53, 1]]);
    expect(modesOf(ptyReq(Uint8Array.of(53, 0, 0, 0, 1)))).toEqual([[53, 1]]);
    expect(modesOf(ptyReq(new Uint8Array(0)))).toEqual([]);
    expect(modesOf(ptyReq(Uint8Array.of(53, 0, 0, 0, 1, 200, 1, 2, 3)))).toEqual([[53, 1]]);
  });
  it('a truncated argument', () => {
    expect(failure(() => modesOf(ptyReq(Uint8Array.of(53, 0, 0))))).toMatchObject({
      reason: 'truncated',
      field: 'channel request "pty-req".modes',
    });
  });
});
