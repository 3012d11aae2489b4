/**
 * Private keys paired with their OpenSSH certificate, in the layout OpenSSH uses for certificate
 * key types in openssh-key-v1 files and ssh-agent ADD_IDENTITY messages: the certificate blob,
 * then only the private parts the certificate does not already carry.
 * @module
 */

import { Reader, Writer } from '@ssh/wire';
import { decodeCertificateBlob, keyTypeOfCert } from './certificate.ts';
import { KeyExportError, KeyImportError } from './errors.ts';
import { guardImport, readPrivateKeyFields } from './import.ts';
import { SSHKeyPair } from './keypair.ts';

/** Fields of the key's public blob after the key type. */
function publicFields(blob: Uint8Array): Uint8Array {
  const r = new Reader(blob);
  r.utf8();
  return r.rest();
}

/** The certificate-type private fields of `pair` (which must hold an OpenSSH certificate). */
export function encodeCertifiedPrivateFields(pair: SSHKeyPair): Uint8Array {
  const cert = pair.certificate;
  if (!cert) throw new KeyExportError('key pair has no OpenSSH certificate');
  const full = new Reader(pair.key.encodePrivateFields());
  const w = new Writer(1024).bytes(cert.publicData);
  switch (pair.key.algorithm) {
    case 'ssh-rsa':
      full.mpint();
      full.mpint();
      w.raw(full.rest()); // d, iqmp, p, q
      break;
    case 'ssh-dss':
      for (let i = 0; i < 4; i++) full.mpint();
      w.raw(full.rest()); // x
      break;
    case 'ssh-ed25519':
    case 'ssh-ed448':
      w.raw(full.rest()); // public key, private key
      break;
    default:
      if (!pair.key.algorithm.startsWith('ecdsa-sha2-')) throw new KeyExportError(`${cert.algorithm} private keys are not supported`);
      full.utf8();
      full.bytes();
      w.raw(full.rest()); // d
  }
  return w.finish();
}

/** Reads certificate-type private fields of `certType` from `r`, leaving the reader after them. */
export function readCertifiedPrivateFields(certType: string, r: Reader, comment?: string | Uint8Array): SSHKeyPair {
  return guardImport(() => {
    const keyType = keyTypeOfCert(certType);
    if (!keyType) throw new KeyImportError(`unknown certificate type ${JSON.stringify(certType)}`);
    const cert = decodeCertificateBlob(r.bytes('certificate'));
    if (cert.algorithm !== certType) throw new KeyImportError('certificate type does not match');
    const pub = publicFields(cert.key.publicData);
    const w = new Writer(1024);
    switch (keyType) {
      case 'ssh-rsa': {
        const pr = new Reader(pub);
        const e = pr.mpint();
        const n = pr.mpint();
        w.mpint(n).mpint(e).mpint(r.mpint('d')).mpint(r.mpint('iqmp')).mpint(r.mpint('p')).mpint(r.mpint('q'));
        break;
      }
      case 'ssh-dss':
        w.raw(pub).mpint(r.mpint('x'));
        break;
      case 'ssh-ed25519':
      case 'ssh-ed448':
        w.bytes(r.bytes('public key')).bytes(r.bytes('private key'));
        break;
      default:
        if (!keyType.startsWith('ecdsa-sha2-')) throw new KeyImportError(`${certType} private keys are not supported`);
        w.raw(pub).mpint(r.mpint('d'));
    }
    const key = readPrivateKeyFields(keyType, new Reader(w.finish()), comment);
    return new SSHKeyPair(key, cert);
  });
}
