/**
 * Key exchanges per second (issue 4): one complete exchange is a client and a server of
 * @ssh/crypto run against each other in process (fresh ephemeral keys on both sides, both shared
 * secrets and exchange hashes), with a fake host key signature so that only the exchange itself
 * is timed. The peer is AsyncSSH's Kex handlers driven the same way through a stub connection
 * (peers/asyncssh_crypto.py); AsyncSSH 2.10 has neither sntrup761 nor ML-KEM, so those two are
 * reported without a ratio.
 * @module
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStandardRegistry, type KexExchange, type KexStep, type KexTranscript } from '@ssh/crypto';
import { measureOpsPerSecond } from '../measure.ts';
import { measureSettings, peerArgs, type BenchRunOptions } from '../peers/options.ts';
import { runPythonJson } from '../python.ts';
import type { Benchmark, BenchResult } from '../types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export const KEX_METHODS: readonly string[] = [
  'curve25519-sha256',
  'ecdh-sha2-nistp256',
  'diffie-hellman-group14-sha256',
  'sntrup761x25519-sha512',
  'mlkem768x25519-sha256',
];

const enc = new TextEncoder();
const HOST_KEY = Uint8Array.from([...enc.encode('\0\0\0\x0bssh-ed25519\0\0\0\x20'), ...enc.encode('k'.repeat(32))]);
const SIGNATURE = enc.encode('signature over H');
const transcript: KexTranscript = {
  clientVersion: 'SSH-2.0-client',
  serverVersion: 'SSH-2.0-server',
  clientKexInit: Uint8Array.of(20, 1, 2, 3),
  serverKexInit: Uint8Array.of(20, 4, 5, 6),
};

/** Runs one exchange to the end on both sides; throws if they disagree. Returns H. */
function runExchange(client: KexExchange, server: KexExchange): Uint8Array {
  let toServer = [...client.start()];
  let toClient = [...server.start()];
  let clientH: Uint8Array | undefined;
  let serverH: Uint8Array | undefined;
  for (let round = 0; round < 10 && (clientH === undefined || serverH === undefined); round++) {
    const replies: Uint8Array[] = [];
    for (const m of toServer) {
      let step: KexStep = server.receive(m);
      if (step.type === 'sign') step = server.sign(SIGNATURE);
      if (step.type === 'done') serverH = step.result.exchangeHash;
      if (step.type === 'send' || step.type === 'done') replies.push(...step.messages);
      else throw new Error(`${server.algorithm}: the server asked for ${step.type}, which these exchanges never do`);
    }
    toServer = [];
    for (const m of [...toClient, ...replies]) {
      const step = client.receive(m);
      if (step.type === 'done') clientH = step.result.exchangeHash;
      else if (step.type === 'send') toServer.push(...step.messages);
    }
    toClient = [];
  }
  if (clientH === undefined || serverH === undefined || !Buffer.from(clientH).equals(serverH)) {
    throw new Error(`${client.algorithm}: the exchange did not agree`);
  }
  return clientH;
}

interface PeerFigures {
  version: string;
  kex: Record<string, number>;
  errors: Record<string, string>;
}

export function runCryptoKexBench(options: BenchRunOptions = {}): Promise<BenchResult[]> {
  const registry = createStandardRegistry();
  const settings = measureSettings(options);
  const ours = KEX_METHODS.map((name) => {
    const impl = registry.require('kex', name).impl;
    const once = (): void => void runExchange(impl.create('client', transcript), impl.create('server', transcript, { hostKey: HOST_KEY }));
    once();
    return measureOpsPerSecond(once, 1, settings);
  });

  const peer = runPythonJson<PeerFigures>(path.join(here, '../peers/asyncssh_crypto.py'), [
    ...peerArgs(options),
    ...KEX_METHODS.map((k) => `kex=${k}`),
  ]);
  const peerName = peer.ok ? `AsyncSSH ${peer.value.version}` : 'AsyncSSH';
  const results = KEX_METHODS.map((name, i): BenchResult => {
    const figure = peer.ok ? peer.value.kex[name] : undefined;
    const why = peer.ok ? (peer.value.errors[name] ?? 'no figure') : peer.error;
    return {
      name: `kex ${name} (client+server)`,
      unit: 'kex/s',
      ours: ours[i] ?? 0,
      peerName,
      peer: figure,
      ...(figure === undefined ? { note: why } : {}),
    };
  });
  return Promise.resolve(results);
}

export const cryptoKexBenchmark: Benchmark = {
  id: 'crypto-kex',
  description: 'complete key exchanges per second (client and server in process), vs AsyncSSH',
  run: () => runCryptoKexBench(),
};
