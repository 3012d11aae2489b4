/** Runs a client and a server key exchange against each other in memory. */
import { generateKeyPairSync } from 'node:crypto';
import type { KexExchange, KexResult, KexStep } from '../../src/index.ts';

export const FAKE_HOST_KEY = new TextEncoder().encode('\0\0\0\x0bssh-ed25519\0\0\0\x20' + 'k'.repeat(32));
export const FAKE_SIGNATURE = new TextEncoder().encode('signature over H');

let rsa: Map<number, ReturnType<typeof generateKeyPairSync>['privateKey']> | undefined;
/** Transient RSA keys for the RSA methods, generated once per test file. */
export function transientRsaKey(bits: number): ReturnType<typeof generateKeyPairSync>['privateKey'] {
  rsa ??= new Map();
  let k = rsa.get(bits);
  if (k === undefined) {
    k = generateKeyPairSync('rsa', { modulusLength: bits }).privateKey;
    rsa.set(bits, k);
  }
  return k;
}

/** Server options for a method (host key, and a cached transient key for the RSA methods). */
export function serverOptions(name: string): { hostKey: Uint8Array; transientRsaKey?: ReturnType<typeof transientRsaKey> } {
  if (name === 'rsa2048-sha256') return { hostKey: FAKE_HOST_KEY, transientRsaKey: transientRsaKey(2048) };
  if (name === 'rsa1024-sha1') return { hostKey: FAKE_HOST_KEY, transientRsaKey: transientRsaKey(1024) };
  return { hostKey: FAKE_HOST_KEY };
}

/** Pumps messages until both sides are done; returns both results and the messages exchanged. */
export function runKex(client: KexExchange, server: KexExchange): { client: KexResult; server: KexResult; messages: Uint8Array[] } {
  const log: Uint8Array[] = [];
  let toServer: Uint8Array[] = [...client.start()];
  let toClient: Uint8Array[] = [...server.start()];
  let clientResult: KexResult | undefined;
  let serverResult: KexResult | undefined;
  for (let round = 0; round < 10 && (clientResult === undefined || serverResult === undefined); round++) {
    const nextToClient: Uint8Array[] = [];
    for (const m of toServer) {
      log.push(m);
      let step: KexStep = server.receive(m);
      if (step.type === 'sign') step = server.sign(FAKE_SIGNATURE);
      if (step.type === 'sign') throw new Error('server asked to sign twice');
      if (step.type === 'gss-mic' || step.type === 'gss-verify-mic' || step.type === 'gss-step') throw new Error('GSS-API steps need gss-pump');
      if (step.type === 'done') serverResult = step.result;
      nextToClient.push(...step.messages);
    }
    toServer = [];
    for (const m of [...toClient, ...nextToClient]) {
      log.push(m);
      const step = client.receive(m);
      if (step.type === 'gss-mic' || step.type === 'gss-verify-mic' || step.type === 'gss-step') throw new Error('GSS-API steps need gss-pump');
      if (step.type === 'done') clientResult = step.result;
      if (step.type === 'send') toServer.push(...step.messages);
      if (step.type === 'sign') throw new Error('client asked to sign');
    }
    toClient = [];
  }
  if (clientResult === undefined || serverResult === undefined) throw new Error('exchange did not finish');
  return { client: clientResult, server: serverResult, messages: log };
}
