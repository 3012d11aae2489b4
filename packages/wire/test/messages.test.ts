/** The message tables: constants ⇔ declarations, separate method tables, names, and fixed encodings. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ChannelData,
  ChannelOpen,
  ChannelRequest,
  ExtInfo,
  ExtInfoExtensions,
  GlobalRequest,
  GlobalRequestReplies,
  MSG,
  PTY_MODE,
  RequestSuccess,
  UserauthRequest,
  W,
  Writer,
  codeName,
  DISCONNECT,
  defineMessage,
  genericMessages,
  kexDhGexMessages,
  kexDhMessages,
  kexEcdhMessages,
  messageName,
  methodMessageTables,
  userauthPublickeyMessages,
  userauthSignedData,
  type ChannelRequestOf,
  type UserauthRequest as UserauthRequestType,
} from '../src/index.ts';
import { declaredMessages } from './helpers/arbitraries.ts';

const te = new TextEncoder();
const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

describe('numbers and declarations', () => {
  const declared = declaredMessages();
  it('every MSG constant has exactly one declaration SSH_MSG_<name>, and back', () => {
    for (const [name, number] of Object.entries(MSG)) {
      const found = declared.filter((m) => m.name === `SSH_MSG_${name}`);
      expect(found.map((m) => m.number), name).toEqual([number]);
    }
    for (const m of declared) expect(MSG[m.name.slice('SSH_MSG_'.length) as keyof typeof MSG]).toBe(m.number);
  });

  it('the generic table holds every context-free number and none of 30-49 or 60-79', () => {
    const numbers = genericMessages.messages.map((m) => m.number).sort((a, b) => a - b);
    const expected = [1, 2, 3, 4, 5, 6, 7, 8, 20, 21, 50, 51, 52, 53, 80, 81, 82, ...Array.from({ length: 11 }, (_, i) => 90 + i), 192, 193];
    expect(numbers).toEqual(expected);
  });

  it('method tables stay in their ranges, and together with the generic table cover every declaration', () => {
    for (const t of methodMessageTables) {
      for (const m of t.messages) {
        const kex = t.label.startsWith('kex');
        expect(kex ? m.number >= 30 && m.number <= 49 : m.number >= 60 && m.number <= 79, `${t.label} ${m.name}`).toBe(true);
      }
    }
    const all = new Set([genericMessages, ...methodMessageTables].flatMap((t) => t.messages.map((m) => m.name)));
    expect([...all].sort()).toEqual(declared.map((m) => m.name).sort());
  });

  it('names for logs', () => {
    expect(messageName(94)).toBe('SSH_MSG_CHANNEL_DATA');
    expect(messageName(30, kexEcdhMessages)).toBe('SSH_MSG_KEX_ECDH_INIT');
    expect(messageName(30)).toContain('SSH_MSG_KEXDH_INIT|');
    expect(messageName(60)).toContain('SSH_MSG_USERAUTH_PK_OK');
    expect(messageName(60, userauthPublickeyMessages)).toBe('SSH_MSG_USERAUTH_PK_OK');
    expect(messageName(250)).toBe('SSH_MSG_UNKNOWN_250');
    expect(kexDhGexMessages.nameOf(34)).toBe('SSH_MSG_KEX_DH_GEX_REQUEST');
    expect(codeName(DISCONNECT, 11)).toBe('BY_APPLICATION');
    expect(codeName(PTY_MODE, 42)).toBe('IUTF8');
    expect(codeName(DISCONNECT, 99)).toBeUndefined();
  });

  it('dispatch by number', () => {
    const d = genericMessages.decode(ChannelData.encode({ recipientChannel: 1, data: te.encode('x') }));
    expect(d.name).toBe('SSH_MSG_CHANNEL_DATA');
    if (d.name === 'SSH_MSG_CHANNEL_DATA') expectTypeOf(d.message.data).toEqualTypeOf<Uint8Array>();
    expect(kexDhMessages.decode(Uint8Array.of(31, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).name).toBe('SSH_MSG_KEXDH_REPLY');
  });
});

describe('fixed encodings', () => {
  it('CHANNEL_DATA, with the data a view on the payload', () => {
    const bytes = ChannelData.encode({ recipientChannel: 0x01020304, data: te.encode('hi') });
    expect(toHex(bytes)).toBe('5e 01 02 03 04 00 00 00 02 68 69');
    const m = ChannelData.decode(bytes);
    expect(m.data.buffer).toBe(bytes.buffer);
    expect(m.data.byteOffset).toBe(9);
  });

  it('CHANNEL_REQUEST exec', () => {
    const bytes = ChannelRequest.encode({ recipientChannel: 2, requestType: 'exec', wantReply: true, request: { type: 'exec', command: te.encode('ls') } });
    expect(toHex(bytes)).toBe('62 00 00 00 02 00 00 00 04 65 78 65 63 01 00 00 00 02 6c 73');
  });

  it('pty-req modes end with TTY_OP_END', () => {
    const body: ChannelRequestOf<'pty-req'> = {
      type: 'pty-req',
      term: 'vt100',
      widthChars: 80,
      heightRows: 24,
      widthPixels: 0,
      heightPixels: 0,
      modes: [[PTY_MODE.ECHO, 1], [PTY_MODE.TTY_OP_ISPEED, 38400]],
    };
    const bytes = ChannelRequests_encode(body);
    expect(toHex(bytes.subarray(bytes.length - 15))).toBe('00 00 00 0b 35 00 00 00 01 80 00 00 96 00 00');
  });

  it('USERAUTH_REQUEST publickey with and without signature', () => {
    const query: UserauthRequestType = {
      userName: 'u',
      serviceName: 'ssh-connection',
      methodName: 'publickey',
      method: { type: 'publickey', hasSignature: false, algorithm: 'ssh-ed25519', publicKey: Uint8Array.of(1) },
    };
    const q = UserauthRequest.encode(query);
    expect(q[q.length - (4 + 1) - (4 + 11) - 1]).toBe(0); // the FALSE before the algorithm
    const signed = { ...query, method: { ...query.method, hasSignature: true, signature: Uint8Array.of(9, 9) } } as UserauthRequestType;
    const s = UserauthRequest.encode(signed);
    expect(s.length).toBe(q.length + 6);
    expect(UserauthRequest.decode(s)).toEqual(signed);
  });

  it('tcpip-forward and its reply port', () => {
    const req = GlobalRequest.encode({ requestName: 'tcpip-forward', wantReply: true, request: { type: 'tcpip-forward', bindAddress: 'localhost', bindPort: 0 } });
    expect(GlobalRequest.decode(req).request).toEqual({ type: 'tcpip-forward', bindAddress: 'localhost', bindPort: 0 });
    const reply = RequestSuccess.decode(Uint8Array.of(81, 0, 0, 0x1f, 0x90));
    expect(GlobalRequestReplies.decode('tcpip-forward', reply.data)).toEqual({ type: 'tcpip-forward', boundPort: 8080 });
    expect(GlobalRequestReplies.decode('tcpip-forward', new Uint8Array(0))).toEqual({ type: 'tcpip-forward' });
  });

  it('EXT_INFO server-sig-algs, and unknown extensions as raw bytes', () => {
    const bytes = new Writer(1).u8(7).u32(2).latin1('server-sig-algs').latin1('ssh-ed25519,rsa-sha2-256').latin1('x@y').bytes(Uint8Array.of(1, 2)).finish();
    const m = ExtInfo.decode(bytes);
    expect(m.extensions[0]).toEqual({ name: 'server-sig-algs', value: { type: 'server-sig-algs', algorithms: ['ssh-ed25519', 'rsa-sha2-256'] } });
    expect(m.extensions[1]).toEqual({ name: 'x@y', value: Uint8Array.of(1, 2) });
    expect(ExtInfo.encode(m)).toEqual(bytes);
    expect(ExtInfoExtensions.decode('global-requests-ok', new Uint8Array(0))).toEqual({ type: 'global-requests-ok' });
  });

  it('an unknown channel type keeps its bytes', () => {
    const bytes = new Writer(1).u8(90).latin1('x-custom').u32(1).u32(2).u32(3).raw(Uint8Array.of(7, 7)).finish();
    const m = ChannelOpen.decode(bytes);
    expect(m.channel).toEqual(Uint8Array.of(7, 7));
    expect(ChannelOpen.encode(m)).toEqual(bytes);
  });
});

function ChannelRequests_encode(body: ChannelRequestOf<'pty-req'>): Uint8Array {
  return ChannelRequest.encode({ recipientChannel: 0, requestType: body.type, wantReply: false, request: body });
}

describe('declaration and encoding mistakes are API misuse (RangeError)', () => {
  it('numeric field names, misplaced tails, zero-size list items', () => {
    expect(() => defineMessage(200, 'SSH_MSG_X', { 1: W.u8 })).toThrow(RangeError);
    expect(() => defineMessage(200, 'SSH_MSG_X', { a: W.rest, b: W.u8 })).toThrow(RangeError);
    expect(() => defineMessage(200, 'SSH_MSG_X', { a: W.optional(W.u8), b: W.u8 })).toThrow(RangeError);
    expect(() => W.list(W.rest)).toThrow(RangeError);
    expect(() => W.fixed(0)).toThrow(RangeError);
    expect(() => defineMessage(0, 'SSH_MSG_X', {})).toThrow(RangeError);
  });
  it('a body whose type differs from the key field', () => {
    expect(() =>
      ChannelRequest.encode({ recipientChannel: 0, requestType: 'shell', wantReply: false, request: { type: 'exec', command: new Uint8Array(0) } }),
    ).toThrow(RangeError);
  });
  it('a when() field inconsistent with its flag', () => {
    const m = { userName: 'u', serviceName: 's', methodName: 'password' } as const;
    expect(() => UserauthRequest.encode({ ...m, method: { type: 'password', changePassword: true, password: 'a' } })).toThrow(RangeError);
    expect(() => UserauthRequest.encode({ ...m, method: { type: 'password', changePassword: false, password: 'a', newPassword: 'b' } })).toThrow(RangeError);
  });
  it('a fixed field of the wrong length, an out-of-range PTY opcode', () => {
    const bad = { type: 'pty-req', term: 't', widthChars: 0, heightRows: 0, widthPixels: 0, heightPixels: 0, modes: [[0, 1]] } as ChannelRequestOf<'pty-req'>;
    expect(() => ChannelRequests_encode(bad)).toThrow(RangeError);
  });
});

describe('types', () => {
  it('Infer gives the decoded shape', () => {
    type Data = W.Infer<typeof ChannelData>;
    expectTypeOf<Data>().toEqualTypeOf<{ recipientChannel: number; data: Uint8Array }>();
    type Exec = ChannelRequestOf<'exec'>;
    expectTypeOf<Exec>().toEqualTypeOf<{ type: 'exec'; command: Uint8Array }>();
    // @ts-expect-error: exec has no `cmd` field
    const wrong: Exec = { type: 'exec', cmd: new Uint8Array(0) };
    expect(wrong.type).toBe('exec');
  });
});

describe('userauthSignedData (RFC 4252 §7, §9)', () => {
  const sid = Uint8Array.of(0xaa, 0xbb);
  it('publickey: session id, then the request with TRUE and without the signature', () => {
    const req: UserauthRequestType = {
      userName: 'u',
      serviceName: 'ssh-connection',
      methodName: 'publickey',
      method: { type: 'publickey', hasSignature: true, algorithm: 'ssh-ed25519', publicKey: Uint8Array.of(1, 2), signature: Uint8Array.of(9) },
    };
    const signed = userauthSignedData(sid, req);
    const payload = UserauthRequest.encode(req);
    // string session id || the payload without its trailing signature string
    expect(toHex(signed)).toBe(toHex(Uint8Array.of(0, 0, 0, 2, 0xaa, 0xbb, ...payload.subarray(0, payload.length - 5))));
  });
  it('hostbased: everything but the signature', () => {
    const req: UserauthRequestType = {
      userName: 'u',
      serviceName: 'ssh-connection',
      methodName: 'hostbased',
      method: { type: 'hostbased', algorithm: 'ssh-ed25519', hostKey: Uint8Array.of(3), clientHostName: 'h.example', clientUserName: 'v', signature: Uint8Array.of(9, 9) },
    };
    const payload = UserauthRequest.encode(req);
    expect(userauthSignedData(sid, req)).toEqual(Uint8Array.of(0, 0, 0, 2, 0xaa, 0xbb, ...payload.subarray(0, payload.length - 6)));
  });
  it('refuses methods without a signature', () => {
    const req: UserauthRequestType = { userName: 'u', serviceName: 's', methodName: 'none', method: { type: 'none' } };
    expect(() => userauthSignedData(sid, req)).toThrow(RangeError);
  });
});
