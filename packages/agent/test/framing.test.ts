import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WireError } from '@ssh/wire';
import { generatePrivateKey } from '@ssh/keys';
import {
  AgentAddIdConstrained,
  AgentAddSmartcardKeyConstrained,
  AgentFrameReader,
  AgentProtocolError,
  AgentServerCodec,
  type AgentConstraint,
  decodeAgentRequest,
  decodeConstraints,
  encodeConstraints,
  frameAgentMessage,
} from '../src/index.ts';
import { agentKeyBody } from '../src/key-encoding.ts';

describe('AgentFrameReader', () => {
  it('reassembles messages whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 8 }), fc.array(fc.nat(60)), (payloads, cuts) => {
        const stream = Uint8Array.from(payloads.flatMap((p) => [...frameAgentMessage(p)]));
        const reader = new AgentFrameReader(64);
        const got: Uint8Array[] = [];
        let at = 0;
        for (const c of cuts) {
          const end = Math.min(stream.length, at + c);
          got.push(...reader.push(stream.subarray(at, end)));
          at = end;
        }
        got.push(...reader.push(stream.subarray(at)));
        reader.end();
        expect(got).toEqual(payloads);
      }),
    );
  });

  it('refuses an oversized length before any of the body arrives', () => {
    const reader = new AgentFrameReader(1024);
    expect(() => reader.push(new Uint8Array([0, 0, 4, 1]))).toThrow(AgentProtocolError);
    try {
      new AgentFrameReader(1024).push(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    } catch (e) {
      expect(e).toBeInstanceOf(AgentProtocolError);
      expect((e as AgentProtocolError).reason).toBe('oversized');
    }
  });

  it('refuses an empty message and reports truncation at the end', () => {
    expect(() => new AgentFrameReader().push(new Uint8Array(4))).toThrow(/empty/);
    const r = new AgentFrameReader();
    expect(r.push(new Uint8Array([0, 0, 0, 5, 12, 0]))).toEqual([]);
    expect(() => r.end()).toThrow(/truncated/);
    const h = new AgentFrameReader();
    h.push(new Uint8Array([0, 0]));
    expect(() => h.end()).toThrow(/length prefix/);
  });
});

describe('constraints', () => {
  const constraint = fc.oneof(
    fc.record({ type: fc.constant('lifetime' as const), seconds: fc.nat() }),
    fc.constant({ type: 'confirm' as const }),
    fc.record({
      type: fc.constant('extension' as const),
      name: fc.stringMatching(/^[a-z@.-]{1,20}$/),
      data: fc.uint8Array({ maxLength: 10 }).map((d) => {
        const out = new Uint8Array(4 + d.length);
        new DataView(out.buffer).setUint32(0, d.length);
        out.set(d, 4);
        return out;
      }),
    }),
  );
  it('round-trip', () => {
    fc.assert(
      fc.property(fc.array(constraint, { maxLength: 5 }), (cs: AgentConstraint[]) => {
        expect(decodeConstraints(encodeConstraints(cs))).toEqual(cs);
      }),
    );
  });
  it('random bytes decode or throw WireError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        try {
          decodeConstraints(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
    );
  });
});

describe('agent-side codec', () => {
  it('decodes an ADD_ID_CONSTRAINED built by the client encoding', () => {
    const key = generatePrivateKey('ssh-ed25519', { comment: 'unit' });
    const payload = AgentAddIdConstrained.encode(agentKeyBody(key, encodeConstraints([{ type: 'lifetime', seconds: 7 }, { type: 'confirm' }])));
    const req = decodeAgentRequest(payload);
    expect(req.type).toBe('add-identity');
    if (req.type !== 'add-identity') return;
    expect(req.keyType).toBe('ssh-ed25519');
    expect(new TextDecoder().decode(req.comment)).toBe('unit');
    expect(req.constraints).toEqual([{ type: 'lifetime', seconds: 7 }, { type: 'confirm' }]);
  });

  it('decodes smartcard requests with their constraints', () => {
    const payload = AgentAddSmartcardKeyConstrained.encode({ providerId: '/p.so', pin: '1', constraints: encodeConstraints([{ type: 'confirm' }]) });
    expect(decodeAgentRequest(payload)).toEqual({ type: 'add-smartcard-key', providerId: '/p.so', pin: '1', constraints: [{ type: 'confirm' }] });
  });

  it('unknown numbers are "unknown", malformed known ones are WireError items', () => {
    const codec = new AgentServerCodec();
    const items = codec.receive(Uint8Array.from([...frameAgentMessage(Uint8Array.of(99)), ...frameAgentMessage(Uint8Array.of(13, 0, 0))]));
    expect(items[0]).toEqual({ request: { type: 'unknown', number: 99, payload: Uint8Array.of(99) } });
    expect(items[1] && 'error' in items[1] && items[1].error).toBeInstanceOf(WireError);
  });

  it('random payloads decode or throw WireError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 60 }), fc.constantFrom(11, 13, 17, 18, 20, 22, 25, 26, 27), (body, n) => {
        try {
          decodeAgentRequest(Uint8Array.from([n, ...body]));
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
    );
  });
});
