/**
 * A software stand-in for a FIDO token holding an sk-ssh-ed25519@openssh.com key: tests choose
 * the flags it attests (user presence, user verification), which no real token lets them do.
 * Encodings as OpenSSH PROTOCOL.u2f defines them; node:crypto only, so any package can use it.
 * @module
 */
import { createHash, generateKeyPairSync, sign as signWith, type KeyObject } from 'node:crypto';

export const SK_ED25519 = 'sk-ssh-ed25519@openssh.com';

export interface SoftSecurityKey {
  /** The public key blob (string type, string key, string application). */
  readonly publicBlob: Uint8Array;
  /** `sk-ssh-ed25519@openssh.com AAAA... comment`, for authorized_keys. */
  readonly publicLine: string;
  /** An SSH signature blob over `data` attesting `flags` (0x01 presence, 0x04 verification). */
  sign(data: Uint8Array, flags: number, counter?: number): Uint8Array;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function sshString(data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return Buffer.concat([u32(bytes.length), bytes]);
}

function sha256(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(data).digest();
}

/** A fresh key for `application` (default `ssh:`, as ssh-keygen -t ed25519-sk makes). */
export function softSecurityKey(application = 'ssh:', comment = 'soft-security-key'): SoftSecurityKey {
  const { publicKey, privateKey }: { publicKey: KeyObject; privateKey: KeyObject } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const publicBlob = Buffer.concat([sshString(SK_ED25519), sshString(raw), sshString(application)]);
  return {
    publicBlob,
    publicLine: `${SK_ED25519} ${publicBlob.toString('base64')} ${comment}`,
    sign(data, flags, counter = 1) {
      // What the token signs: SHA256(application) || flags || counter || SHA256(data).
      const signed = Buffer.concat([sha256(new TextEncoder().encode(application)), new Uint8Array([flags]), u32(counter), sha256(data)]);
      const signature = signWith(null, signed, privateKey);
      return Buffer.concat([sshString(SK_ED25519), sshString(signature), new Uint8Array([flags]), u32(counter)]);
    },
  };
}
