/**
 * User certificates whose critical options and extensions are hand-made (the CA signs them as
 * given), presented to a real sshd through TrustedUserCAKeys: sshd's verdict and the command it
 * runs are compared with SSHCertificate.validate and forceCommand.
 */
import { userInfo } from 'node:os';
import { Reader, Writer } from '@ssh/wire';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importCertificate, type SSHCertificate, type SSHKey } from '../src/index.ts';
import { testKey } from './helpers/keys.ts';
import { AuthorizedKeysSshd } from './helpers/sshd.ts';

const key = testKey('ssh-ed25519');
const ca = testKey('ecdsa-sha2-nistp256');
const user = userInfo().username;

let sshd: AuthorizedKeysSshd;
beforeAll(async () => {
  sshd = await AuthorizedKeysSshd.start(key, ca);
}, 60_000);
afterAll(async () => {
  await sshd.stop();
});

type Options = readonly (readonly [string, Uint8Array])[];

/** A certificate like `base` with these critical options and extensions, in this order, signed by `signer`. */
function withOptions(base: SSHCertificate, signer: SSHKey, critical: Options, extensions: Options): SSHCertificate {
  const blob = base.publicData;
  const keyType = new Reader(base.key.publicData).utf8('key type');
  const head = new Reader(blob);
  head.utf8('certificate type');
  head.bytes('nonce');
  const keyStart = head.offset;
  const r = new Reader(blob.subarray(keyStart + base.key.publicData.length - 4 - keyType.length));
  const w = new Writer(blob.length + 256).raw(blob.subarray(0, keyStart + base.key.publicData.length - 4 - keyType.length));
  w.u64(r.u64('serial')).u32(r.u32('type')).bytes(r.bytes('key id')).bytes(r.bytes('principals')).u64(r.u64('valid after')).u64(r.u64('valid before'));
  r.bytes('critical options');
  r.bytes('extensions');
  w.nested((o) => {
    for (const [name, data] of critical) o.utf8(name).bytes(data);
  });
  w.nested((o) => {
    for (const [name, data] of extensions) o.utf8(name).bytes(data);
  });
  w.bytes(r.bytes('reserved')).bytes(r.bytes('signature key'));
  const signed = w.finish();
  return importCertificate(`${base.algorithm} ${Buffer.from(new Writer(signed.length + 256).raw(signed).bytes(signer.sign(signed)).finish()).toString('base64')}\n`);
}

const str = (s: string): Uint8Array => new Writer(s.length + 4).utf8(s).finish();
const EMPTY = new Uint8Array(0);
const PTY: Options = [['permit-pty', EMPTY]];

function oursAccepts(cert: SSHCertificate): boolean {
  try {
    cert.validate({ kind: 'user', principal: user, trustedCAs: [ca], clientAddress: '127.0.0.1' });
    return true;
  } catch {
    return false;
  }
}

describe('certificate options as sshd reads them', () => {
  const base = ca.generateUserCertificate(key, 'id', { principals: [user] });

  test.each<[string, Options, Options]>([
    ['a force-command', [['force-command', str('echo forced')]], PTY],
    // sshd: 'Certificate option "force-command" corrupt (extra data)'; the certificate is refused.
    ['a force-command with bytes after its string', [['force-command', new Uint8Array([...str('echo forced'), 0])]], PTY],
    ['a force-command that is no string', [['force-command', new Uint8Array([0, 0])]], PTY],
    ['a source-address with bytes after its string', [['source-address', new Uint8Array([...str('127.0.0.1'), 0])]], PTY],
    ['a permit-pty extension with data', [], [['permit-pty', str('x')]]],
    // Unknown extensions are ignored, whatever they carry.
    ['an unknown extension with data', [], [...PTY, ['x-unknown@example.com', str('x')]]],
    // PROTOCOL.certkeys asks for names in order, but sshd (like ssh-keygen -L and AsyncSSH) reads them in any.
    ['extensions out of order', [], [['permit-user-rc', EMPTY], ...PTY, ['permit-X11-forwarding', EMPTY]]],
    ['critical options out of order', [['source-address', str('127.0.0.1')], ['force-command', str('echo forced')]], PTY],
  ])('%s', async (_, critical, extensions) => {
    const cert = withOptions(base, ca, critical, extensions);
    const theirs = await sshd.login('', 'echo ran', cert.exportCertificate());
    expect(oursAccepts(cert)).toBe(theirs.ok);
    if (theirs.ok) expect(theirs.stdout).toBe(cert.forceCommand === 'echo forced' ? 'forced\n' : 'ran\n');
  });
});
