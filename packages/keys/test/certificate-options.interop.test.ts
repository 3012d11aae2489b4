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

/**
 * The certificate line for one like `base` with these critical options and extensions, in this
 * order (and, given `type`, that certificate type), signed by `signer`. A line, not a parsed
 * certificate: some of them are ones we refuse to import.
 */
function withOptions(base: SSHCertificate, signer: SSHKey, critical: Options, extensions: Options, type?: number): string {
  const blob = base.publicData;
  const keyType = new Reader(base.key.publicData).utf8('key type');
  const head = new Reader(blob);
  head.utf8('certificate type');
  head.bytes('nonce');
  const keyStart = head.offset;
  const r = new Reader(blob.subarray(keyStart + base.key.publicData.length - 4 - keyType.length));
  const w = new Writer(blob.length + 256).raw(blob.subarray(0, keyStart + base.key.publicData.length - 4 - keyType.length));
  const serial = r.u64('serial');
  const baseType = r.u32('type');
  w.u64(serial).u32(type ?? baseType).bytes(r.bytes('key id')).bytes(r.bytes('principals')).u64(r.u64('valid after')).u64(r.u64('valid before'));
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
  return `${base.algorithm} ${Buffer.from(new Writer(signed.length + 256).raw(signed).bytes(signer.sign(signed)).finish()).toString('base64')}\n`;
}

const str = (s: string): Uint8Array => new Writer(s.length + 4).utf8(s).finish();
const EMPTY = new Uint8Array(0);
const PTY: Options = [['permit-pty', EMPTY]];

function oursAccepts(line: string): boolean {
  try {
    importCertificate(line).validate({ kind: 'user', principal: user, trustedCAs: [ca], clientAddress: '127.0.0.1' });
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
    // Unknown critical options refuse the certificate; verify-required is known, and a key that
    // is no security key has no verification flag for sshd to check.
    ['an unknown critical option', [['x-unknown@example.com', EMPTY]], PTY],
    ['verify-required on a plain key', [['verify-required', EMPTY]], PTY],
    ['verify-required with data', [['verify-required', str('x')]], PTY],
    ['a force-command holding a NUL', [['force-command', str('echo forced\0x')]], PTY],
    ['verify-required given twice', [['verify-required', EMPTY], ['verify-required', EMPTY]], PTY],
    ['a force-command given twice', [['force-command', str('echo forced')], ['force-command', str('echo forced')]], PTY],
    ['a source-address given twice', [['source-address', str('127.0.0.1')], ['source-address', str('127.0.0.1')]], PTY],
    ['a source-address that does not list the client', [['source-address', str('10.0.0.0/8')]], PTY],
    ['a source-address listing the client after another', [['source-address', str('10.0.0.0/8,127.0.0.0/8')]], PTY],
    ['a source-address with a space in its list', [['source-address', str('10.0.0.0/8, 127.0.0.1')]], PTY],
    ['an empty source-address', [['source-address', str('')]], PTY],
    ['a source-address with host bits past its mask', [['source-address', str('127.0.0.1/8')]], PTY],
    ['an extension given twice', [], [...PTY, ['permit-pty', EMPTY]]],
    ['an unknown extension given twice', [], [...PTY, ['x-unknown@example.com', EMPTY], ['x-unknown@example.com', EMPTY]]],
    // Each name counts only in its own section: a critical option among the extensions is an
    // unknown extension (ignored), an extension among the critical options an unknown one.
    ['a force-command among the extensions', [], [...PTY, ['force-command', str('echo forced')]]],
    ['permit-pty among the critical options', [['permit-pty', EMPTY]], PTY],
  ])('%s', async (_, critical, extensions) => {
    const cert = withOptions(base, ca, critical, extensions);
    const theirs = await sshd.login('', 'echo ran', new TextEncoder().encode(cert));
    expect(oursAccepts(cert)).toBe(theirs.ok);
    if (theirs.ok) expect(theirs.stdout).toBe(importCertificate(cert).forceCommand === 'echo forced' ? 'forced\n' : 'ran\n');
  });

  test('a force-command that is not UTF-8: sshd runs its bytes, we refuse the certificate', async () => {
    // Our commands are strings: rather than run something other than what the CA signed, or
    // nothing (no restriction at all), validate() fails closed. The shell ignores the comment.
    const command = new Writer(32).bytes(new Uint8Array([...new TextEncoder().encode('echo forced #'), 0xff])).finish();
    const cert = withOptions(base, ca, [['force-command', command]], PTY);
    const theirs = await sshd.login('', 'echo ran', new TextEncoder().encode(cert));
    expect(theirs).toEqual({ ok: true, stdout: 'forced\n' });
    expect(oursAccepts(cert)).toBe(false);
  });

  test('a host certificate offered as a user certificate is refused', async () => {
    const cert = withOptions(base, ca, [], PTY, 2);
    const theirs = await sshd.login('', 'echo ran', new TextEncoder().encode(cert));
    expect(theirs.ok).toBe(false);
    expect(oursAccepts(cert)).toBe(false);
    // The same certificate as a user certificate gets in: the type alone refused it.
    expect((await sshd.login('', 'echo ran', new TextEncoder().encode(withOptions(base, ca, [], PTY, 1)))).ok).toBe(true);
  });
});
