/**
 * GSS-API key exchange: RFC 4462 §2 (gss-group1-sha1, gss-group14-sha1, gss-gex-sha1 and their
 * SSH_MSG_KEXGSS_* messages) and RFC 8732 (gss-group14-sha256, gss-group15..18-sha512,
 * gss-nistp256/384/521, gss-curve25519-sha256, gss-curve448-sha512). The Diffie-Hellman or ECDH
 * exchange rides on the establishment of a GSS-API security context, and the server proves the
 * result with the context's MIC over H instead of a host key signature; the server may have no
 * host key at all (K_S is then the empty string in H).
 *
 * The GSS-API calls are the caller's (they are asynchronous and need a library): the machine asks
 * for them with `gss-step`, `gss-mic` and `gss-verify-mic` steps and takes the outcome through
 * `answerGss()`. Method names on the wire carry the mechanism: the name here, '-', and the base64
 * of the MD5 of the mechanism OID's DER encoding (RFC 4462 §2.6).
 * @module
 */

import { createHash } from 'node:crypto';
import { bytesToMpint, Writer, type Reader } from '@ssh/wire';
import { GssKeyExchangeError, KeyExchangeError } from '../errors.ts';
import type { HashName } from '../hash.ts';
import { digest, misuse, readMessage, transcriptWriter } from './common.ts';
import { DEFAULT_GEX_BOUNDS, checkGexGroup, chooseGexGroup } from './dh-gex.ts';
import { groupAgreement, modpGroup } from './dh.ts';
import { encodeSecret, writeValue, type Agreement } from './one-round.ts';
import type { DhGroup, GssKexAnswer, KexExchange, KexImpl, KexOptions, KexResult, KexRole, KexStep, KexTranscript } from './types.ts';

export const MSG_KEXGSS_INIT = 30;
export const MSG_KEXGSS_CONTINUE = 31;
export const MSG_KEXGSS_COMPLETE = 32;
export const MSG_KEXGSS_HOSTKEY = 33;
export const MSG_KEXGSS_ERROR = 34;
export const MSG_KEXGSS_GROUPREQ = 40;
export const MSG_KEXGSS_GROUP = 41;

/**
 * Largest context token or MIC accepted from a peer. Kerberos AP-REQs carrying a large
 * authorization-data (Windows PACs of users in many groups) reach some tens of KiB.
 */
export const MAX_GSS_TOKEN = 64 * 1024;
/** Token rounds of one exchange (Kerberos V5 takes one or two). */
export const MAX_GSS_ROUNDS = 16;

/** The Kerberos V5 mechanism, 1.2.840.113554.1.2.2 (RFC 1964), DER-encoded. */
export const GSS_KRB5_OID: Uint8Array = Uint8Array.of(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02);

/** The name suffix of a mechanism: base64(MD5(DER of its OID)), RFC 4462 §2.6. */
export function gssMechanismSuffix(oid: Uint8Array): string {
  return createHash('md5').update(oid).digest('base64');
}

/** The wire name of a GSS-API method for a mechanism ('gss-group14-sha256-toWM5Slw5Ew8Mqkay+al2g=='). */
export function gssKexName(method: string, oid: Uint8Array = GSS_KRB5_OID): string {
  return `${method}-${gssMechanismSuffix(oid)}`;
}

const SUFFIX = /-[A-Za-z0-9+/]{22}==$/;

/** The method and mechanism suffix of a wire name, or undefined when it is no GSS-API method name. */
export function splitGssKexName(name: string): { readonly method: string; readonly suffix: string } | undefined {
  if (!name.startsWith('gss-') || !SUFFIX.test(name)) return undefined;
  return { method: name.slice(0, -25), suffix: name.slice(-24) };
}

/** How the method agrees on K: a fixed group or curve, or a group the server chooses (gss-gex-*). */
export type GssKexKind = { readonly type: 'fixed'; readonly agreement: (algorithm: string) => Agreement } | { readonly type: 'gex' };

type Phase =
  | 'idle'
  /** client gex: GROUPREQ sent; server gex: waiting for it */
  | 'group'
  /** server: waiting for INIT */
  | 'init'
  /** waiting for the answer to a gss-step */
  | 'stepping'
  /** client: waiting for CONTINUE, COMPLETE, HOSTKEY or ERROR; server: for CONTINUE */
  | 'waiting'
  /** server: waiting for the MIC; client: for the MIC's verification */
  | 'mic'
  | 'done';

function errorMessage(major: number, message: string): Uint8Array {
  return new Writer(64 + message.length * 3).u8(MSG_KEXGSS_ERROR).u32(major >>> 0).u32(0).utf8(message).latin1('').finish();
}

function continueMessage(token: Uint8Array): Uint8Array {
  return new Writer(token.length + 8).u8(MSG_KEXGSS_CONTINUE).bytes(token).finish();
}

export function gssKex(algorithm: string, hash: HashName, kind: GssKexKind): KexImpl {
  return {
    hash,
    create(role: KexRole, transcript: KexTranscript, options?: KexOptions): KexExchange {
      const random = options?.random;
      let phase: Phase = 'idle';
      let rounds = 0;
      let established = false;
      let agreement: Agreement | undefined = kind.type === 'fixed' ? kind.agreement(algorithm) : undefined;
      // Group exchange: what was asked for ([min, n, max], hashed) and the group.
      let request: readonly number[] = [];
      let group: DhGroup | undefined;
      // K_S: the server's host key when it has one (the client learns it from KEXGSS_HOSTKEY).
      let hostKey: Uint8Array = role === 'server' ? (options?.hostKey ?? new Uint8Array(0)) : new Uint8Array(0);
      let hostKeySeen = false;
      let client: ReturnType<Agreement['client']> | undefined;
      let clientValue: Uint8Array | undefined;
      let server: ReturnType<Agreement['server']> | undefined;
      // Server: the last output token (into COMPLETE); client: the server's COMPLETE.
      let finalToken: Uint8Array = new Uint8Array(0);
      let pending: { result: KexResult; mic: Uint8Array } | undefined;

      const agreed = (): Agreement => {
        if (agreement === undefined) throw misuse(algorithm, 'no group agreed yet');
        return agreement;
      };
      const readValue = (r: Reader, field: string): Uint8Array => {
        const raw = r.bytes(field);
        if (agreed().valueEncoding === 'string') return raw;
        if (bytesToMpint(raw) <= 0n) throw new KeyExchangeError(algorithm, `${field} is not positive`);
        return raw[0] === 0 ? raw.subarray(1) : raw;
      };
      const readToken = (r: Reader, field: string): Uint8Array => {
        const t = r.bytes(field);
        if (t.length > MAX_GSS_TOKEN) throw new KeyExchangeError(algorithm, `${field} of ${t.length} bytes exceeds ${MAX_GSS_TOKEN}`);
        return Uint8Array.from(t);
      };
      const exchangeHash = (qc: Uint8Array, qs: Uint8Array, k: Uint8Array): Uint8Array => {
        const enc = agreed().valueEncoding;
        const w = transcriptWriter(transcript, hostKey);
        for (const v of request) w.u32(v);
        if (group !== undefined) w.mpint(group.p).mpint(group.g);
        writeValue(w, enc, qc);
        writeValue(w, enc, qs);
        w.raw(k);
        return digest(hash, w.bytesView());
      };
      const nextRound = (): void => {
        if (++rounds > MAX_GSS_ROUNDS) throw new KeyExchangeError(algorithm, `more than ${MAX_GSS_ROUNDS} GSS-API token rounds`);
      };
      const step = (messages: readonly Uint8Array[], token: Uint8Array | null, first: boolean): KexStep => {
        phase = 'stepping';
        return { type: 'gss-step', messages, token, first };
      };
      const unexpected = (payload: Uint8Array): KeyExchangeError =>
        new KeyExchangeError(algorithm, `message ${payload[0] ?? 'none'} out of order (${role} ${phase === 'stepping' || phase === 'mic' ? 'waiting for the GSS-API' : phase})`);
      // Server: KEXGSS_HOSTKEY goes before the first reply to INIT.
      const withHostKey = (messages: Uint8Array[]): Uint8Array[] => {
        if (role !== 'server' || hostKeySeen || hostKey.length === 0) return messages;
        hostKeySeen = true;
        return [new Writer(hostKey.length + 8).u8(MSG_KEXGSS_HOSTKEY).bytes(hostKey).finish(), ...messages];
      };

      const begin = (): KexStep => {
        if (phase !== 'idle') throw misuse(algorithm, 'begin() called twice');
        if (role === 'server') {
          phase = kind.type === 'gex' ? 'group' : 'init';
          return { type: 'send', messages: [] };
        }
        if (kind.type === 'gex') {
          const b = options?.gexBounds ?? DEFAULT_GEX_BOUNDS;
          if (!(b.min <= b.preferred && b.preferred <= b.max)) throw misuse(algorithm, 'gexBounds must satisfy min <= preferred <= max');
          request = [b.min, b.preferred, b.max];
          phase = 'group';
          return { type: 'send', messages: [new Writer(16).u8(MSG_KEXGSS_GROUPREQ).u32(b.min).u32(b.preferred).u32(b.max).finish()] };
        }
        return step([], null, true);
      };

      const clientReceive = (payload: Uint8Array): KexStep => {
        const n = payload[0] ?? -1;
        if (phase === 'group') {
          const g = readMessage(algorithm, payload, MSG_KEXGSS_GROUP, 'KEXGSS_GROUP', (r) => ({ p: r.mpint('p'), g: r.mpint('g') }));
          const [min, preferred, max] = request as [number, number, number];
          checkGexGroup(algorithm, g, { min, preferred, max });
          group = g;
          agreement = groupAgreement(g, algorithm);
          return step([], null, true);
        }
        if (phase !== 'waiting') throw unexpected(payload);
        switch (n) {
          case MSG_KEXGSS_HOSTKEY: {
            const k = readMessage(algorithm, payload, MSG_KEXGSS_HOSTKEY, 'KEXGSS_HOSTKEY', (r) => r.bytes('host key'));
            if (hostKeySeen) throw new KeyExchangeError(algorithm, 'KEXGSS_HOSTKEY sent twice');
            if (k.length > MAX_GSS_TOKEN) throw new KeyExchangeError(algorithm, 'KEXGSS_HOSTKEY too long');
            hostKeySeen = true;
            hostKey = Uint8Array.from(k);
            return { type: 'send', messages: [] };
          }
          case MSG_KEXGSS_CONTINUE: {
            const token = readMessage(algorithm, payload, MSG_KEXGSS_CONTINUE, 'KEXGSS_CONTINUE', (r) => readToken(r, 'token'));
            if (established) throw new KeyExchangeError(algorithm, 'KEXGSS_CONTINUE after the context was established');
            nextRound();
            return step([], token, false);
          }
          case MSG_KEXGSS_COMPLETE: {
            const m = readMessage(algorithm, payload, MSG_KEXGSS_COMPLETE, 'KEXGSS_COMPLETE', (r) => {
              const value = readValue(r, 'server public value');
              const mic = readToken(r, 'MIC');
              const token = r.bool('has token') ? readToken(r, 'token') : undefined;
              return { value, mic, token };
            });
            const c = client as ReturnType<Agreement['client']>;
            const k = encodeSecret(agreed().secretEncoding, c.complete(m.value));
            const h = exchangeHash(c.publicValue, m.value, k);
            pending = { result: { sharedSecret: k, exchangeHash: h, hostKey, signature: undefined, hash, gss: true }, mic: m.mic };
            if (m.token !== undefined) {
              if (established) throw new KeyExchangeError(algorithm, 'KEXGSS_COMPLETE carries a token for an established context');
              nextRound();
              finalToken = m.token;
              return step([], m.token, false);
            }
            if (!established) throw new KeyExchangeError(algorithm, 'KEXGSS_COMPLETE without a token, but the context is not established');
            phase = 'mic';
            return { type: 'gss-verify-mic', data: h, mic: m.mic };
          }
          case MSG_KEXGSS_ERROR: {
            const e = readMessage(algorithm, payload, MSG_KEXGSS_ERROR, 'KEXGSS_ERROR', (r) => ({
              major: r.u32('major status'),
              minor: r.u32('minor status'),
              message: r.utf8('message'),
              lang: r.latin1('language tag'),
            }));
            throw new GssKeyExchangeError(algorithm, `the server's GSS-API failed (major ${e.major}, minor ${e.minor}): ${e.message.slice(0, 400)}`);
          }
          default:
            throw unexpected(payload);
        }
      };

      const serverReceive = (payload: Uint8Array): KexStep => {
        if (phase === 'group') {
          const b = readMessage(algorithm, payload, MSG_KEXGSS_GROUPREQ, 'KEXGSS_GROUPREQ', (r) => ({
            min: r.u32('min'),
            preferred: r.u32('n'),
            max: r.u32('max'),
          }));
          if (!(b.min <= b.preferred && b.preferred <= b.max)) throw new KeyExchangeError(algorithm, `bad KEXGSS_GROUPREQ: min ${b.min}, n ${b.preferred}, max ${b.max}`);
          const chosen = chooseGexGroup(options?.gexGroups ?? ([14, 15, 16, 17, 18] as const).map((g) => modpGroup(g)), b);
          if (chosen === undefined) throw new KeyExchangeError(algorithm, `no group between ${b.min} and ${b.max} bits`);
          request = [b.min, b.preferred, b.max];
          group = chosen;
          agreement = groupAgreement(chosen, algorithm);
          phase = 'init';
          return { type: 'send', messages: [new Writer(1100).u8(MSG_KEXGSS_GROUP).mpint(chosen.p).mpint(chosen.g).finish()] };
        }
        if (phase === 'init') {
          const m = readMessage(algorithm, payload, MSG_KEXGSS_INIT, 'KEXGSS_INIT', (r) => ({ token: readToken(r, 'token'), value: readValue(r, 'client public value') }));
          if (m.token.length === 0) throw new KeyExchangeError(algorithm, 'KEXGSS_INIT with an empty token');
          // The client's value is checked now, before any GSS-API work is spent on the exchange.
          server = agreed().server(m.value, random);
          clientValue = Uint8Array.from(m.value);
          nextRound();
          return step([], m.token, true);
        }
        if (phase === 'waiting') {
          const token = readMessage(algorithm, payload, MSG_KEXGSS_CONTINUE, 'KEXGSS_CONTINUE', (r) => readToken(r, 'token'));
          nextRound();
          return step([], token, false);
        }
        throw unexpected(payload);
      };

      const clientAnswer = (a: GssKexAnswer): KexStep => {
        if (phase === 'mic') {
          if (a.kind !== 'verified') throw misuse(algorithm, `answer ${a.kind} to a MIC check`);
          if (!a.ok) throw new GssKeyExchangeError(algorithm, "the server's MIC over the exchange hash does not verify");
          phase = 'done';
          return { type: 'done', messages: [], result: (pending as { result: KexResult }).result };
        }
        if (phase !== 'stepping') throw misuse(algorithm, `GSS-API answer in phase ${phase}`);
        if (a.kind === 'step-failed') {
          throw new GssKeyExchangeError(algorithm, `GSS-API context step failed: ${a.error}`, a.token !== undefined && a.token.length > 0 ? [continueMessage(a.token)] : []);
        }
        if (a.kind !== 'step') throw misuse(algorithm, `answer ${a.kind} to a context step`);
        established = a.complete;
        if (pending !== undefined) {
          // The step on COMPLETE's token: it must finish the context and leave nothing to send.
          if (!a.complete) throw new GssKeyExchangeError(algorithm, "the server's last token did not establish the context");
          if (a.token.length > 0) throw new GssKeyExchangeError(algorithm, 'the context has a token to send after the server completed');
          phase = 'mic';
          return { type: 'gss-verify-mic', data: pending.result.exchangeHash, mic: pending.mic };
        }
        if (client === undefined) {
          if (a.token.length === 0) throw new GssKeyExchangeError(algorithm, 'the first context step made no token');
          client = agreed().client(random);
          phase = 'waiting';
          const w = new Writer(a.token.length + client.publicValue.length + 16).u8(MSG_KEXGSS_INIT).bytes(a.token);
          return { type: 'send', messages: [writeValue(w, agreed().valueEncoding, client.publicValue).finish()] };
        }
        phase = 'waiting';
        return { type: 'send', messages: a.token.length > 0 ? [continueMessage(a.token)] : [] };
      };

      const serverAnswer = (a: GssKexAnswer): KexStep => {
        if (phase === 'mic') {
          if (a.kind !== 'mic') throw misuse(algorithm, `answer ${a.kind} to a MIC request`);
          if (a.mic === null) throw new GssKeyExchangeError(algorithm, 'no MIC over the exchange hash', withHostKey([errorMessage(0, 'cannot make a MIC')]));
          const p = pending as { result: KexResult };
          const s = server as ReturnType<Agreement['server']>;
          const w = new Writer(s.publicValue.length + a.mic.length + finalToken.length + 32).u8(MSG_KEXGSS_COMPLETE);
          writeValue(w, agreed().valueEncoding, s.publicValue).bytes(a.mic).bool(finalToken.length > 0);
          if (finalToken.length > 0) w.bytes(finalToken);
          phase = 'done';
          return { type: 'done', messages: withHostKey([w.finish()]), result: p.result };
        }
        if (phase !== 'stepping') throw misuse(algorithm, `GSS-API answer in phase ${phase}`);
        if (a.kind === 'step-failed') {
          const messages: Uint8Array[] = [];
          if (a.token !== undefined && a.token.length > 0) messages.push(continueMessage(a.token));
          messages.push(errorMessage(a.major ?? 0, a.error));
          throw new GssKeyExchangeError(algorithm, `GSS-API context step failed: ${a.error}`, withHostKey(messages));
        }
        if (a.kind !== 'step') throw misuse(algorithm, `answer ${a.kind} to a context step`);
        if (!a.complete) {
          if (a.token.length === 0) throw new GssKeyExchangeError(algorithm, 'the context needs another token but made none to send', withHostKey([errorMessage(0, 'context stalled')]));
          phase = 'waiting';
          return { type: 'send', messages: withHostKey([continueMessage(a.token)]) };
        }
        established = true;
        finalToken = a.token;
        const s = server as ReturnType<Agreement['server']>;
        const k = encodeSecret(agreed().secretEncoding, s.secret);
        const h = exchangeHash(clientValue as Uint8Array, s.publicValue, k);
        pending = { result: { sharedSecret: k, exchangeHash: h, hostKey, signature: undefined, hash, gss: true }, mic: new Uint8Array(0) };
        phase = 'mic';
        return { type: 'gss-mic', data: h };
      };

      return {
        algorithm,
        role,
        begin,
        start() {
          const s = begin();
          if (s.type !== 'send') throw misuse(algorithm, 'a GSS-API client begins with begin(), not start()');
          return s.messages;
        },
        receive(payload): KexStep {
          return role === 'client' ? clientReceive(payload) : serverReceive(payload);
        },
        sign(): KexStep {
          throw misuse(algorithm, 'GSS-API key exchange signs nothing with a host key');
        },
        answerGss(answer): KexStep {
          return role === 'client' ? clientAnswer(answer) : serverAnswer(answer);
        },
      };
    },
  };
}
