/**
 * Wire codec throughput: encode and decode a mix of common messages (KEXINIT, CHANNEL_DATA with
 * 1 KiB, USERAUTH_REQUEST publickey with signature, CHANNEL_REQUEST exec, GLOBAL_REQUEST
 * tcpip-forward, CHANNEL_WINDOW_ADJUST), messages per second. The peer is AsyncSSH's packet
 * helpers on the same mix (peers/asyncssh_wire.py), measured in the same run.
 * @module
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ChannelData,
  ChannelRequest,
  ChannelWindowAdjust,
  GlobalRequest,
  KexInit,
  UserauthRequest,
  Writer,
  genericMessages,
} from '@ssh/wire';
import { measureOpsPerSecond } from '../measure.ts';
import { runPythonJson } from '../python.ts';
import type { Benchmark, BenchResult } from '../types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

const KEX = [
  'curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521', 'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group16-sha512',
  'diffie-hellman-group18-sha512', 'diffie-hellman-group14-sha256', 'ext-info-c', 'kex-strict-c-v00@openssh.com',
];
const HOSTKEY = [
  'ssh-ed25519-cert-v01@openssh.com', 'ecdsa-sha2-nistp256-cert-v01@openssh.com', 'rsa-sha2-512-cert-v01@openssh.com',
  'ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256',
];
const CIPHERS = ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'];
const MACS = [
  'umac-64-etm@openssh.com', 'umac-128-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com',
  'hmac-sha1-etm@openssh.com', 'umac-64@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512',
];
const COMP = ['none', 'zlib@openssh.com'];

const data = Uint8Array.from({ length: 1024 }, (_, i) => i & 0xff);
const cookie = Uint8Array.from({ length: 16 }, (_, i) => i);
const command = new TextEncoder().encode('ls -l /var/log | grep ssh');
const keyBlob = new Uint8Array(51);
const signature = new Uint8Array(83);

/**
 * Encoders for the mix, each building its message from scratch into a reused Writer, as a sender
 * that frames packets does (`encodeTo`); `encode()` would add one allocation per message.
 */
const w = new Writer(4096);
const encoders: (() => void)[] = [
  () =>
    KexInit.encodeTo(w.reset(), {
      cookie,
      kexAlgorithms: KEX,
      serverHostKeyAlgorithms: HOSTKEY,
      encryptionAlgorithmsClientToServer: CIPHERS,
      encryptionAlgorithmsServerToClient: CIPHERS,
      macAlgorithmsClientToServer: MACS,
      macAlgorithmsServerToClient: MACS,
      compressionAlgorithmsClientToServer: COMP,
      compressionAlgorithmsServerToClient: COMP,
      languagesClientToServer: [],
      languagesServerToClient: [],
      firstKexPacketFollows: false,
      reserved: 0,
    }),
  () => ChannelData.encodeTo(w.reset(), { recipientChannel: 7, data }),
  () =>
    UserauthRequest.encodeTo(w.reset(), {
      userName: 'alice',
      serviceName: 'ssh-connection',
      methodName: 'publickey',
      method: { type: 'publickey', hasSignature: true, algorithm: 'ssh-ed25519', publicKey: keyBlob, signature },
    }),
  () =>
    ChannelRequest.encodeTo(w.reset(), {
      recipientChannel: 7,
      requestType: 'exec',
      wantReply: true,
      request: { type: 'exec', command },
    }),
  () =>
    GlobalRequest.encodeTo(w.reset(), {
      requestName: 'tcpip-forward',
      wantReply: true,
      request: { type: 'tcpip-forward', bindAddress: '127.0.0.1', bindPort: 8080 },
    }),
  () => ChannelWindowAdjust.encodeTo(w.reset(), { recipientChannel: 7, bytesToAdd: 2097152 }),
];

interface PeerFigures {
  version: string;
  encode: number;
  decode: number;
}

export const wireBenchmark: Benchmark = {
  id: 'wire',
  description: 'wire encode/decode of a message mix, vs AsyncSSH',
  async run(): Promise<BenchResult[]> {
    const encoded = encoders.map((e) => {
      e();
      return w.bytesView().slice();
    });
    const encode = measureOpsPerSecond(() => {
      for (const e of encoders) e();
    }, encoders.length);
    const decode = measureOpsPerSecond(() => {
      for (const payload of encoded) genericMessages.decode(payload);
    }, encoded.length);

    const peer = runPythonJson<PeerFigures>(path.join(here, '../peers/asyncssh_wire.py'));
    const peerName = peer.ok ? `AsyncSSH ${peer.value.version}` : 'AsyncSSH';
    const note = peer.ok ? {} : { note: peer.error };
    return [
      { name: 'wire encode (message mix)', unit: 'msg/s', ours: encode, peerName, peer: peer.ok ? peer.value.encode : undefined, ...note },
      { name: 'wire decode (message mix)', unit: 'msg/s', ours: decode, peerName, peer: peer.ok ? peer.value.decode : undefined, ...note },
    ];
  },
};
