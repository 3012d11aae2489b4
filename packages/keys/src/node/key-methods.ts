/**
 * AsyncSSH's file-writing methods on keys and certificates: SSHKey.writePrivateKey /
 * writePublicKey / appendPrivateKey / appendPublicKey and SSHCertificate.writeCertificate /
 * appendCertificate (asyncssh `SSHKey.write_private_key(filename, ...)` and friends).
 *
 * Why they are installed here rather than declared in the classes: @ssh/keys' core is sans-I/O
 * (no `node:fs` outside `src/node/`), so SSHKey and SSHCertificate cannot write files by
 * themselves, and a hook the core would call (a module-global "file system" set by this
 * subpath) would be hidden state for a dozen lines of delegation. Instead this module, loaded
 * by `@ssh/keys/node` (and so by `@ssh/asyncssh`), adds the methods to the two prototypes and
 * augments the classes' types, so `key.writePrivateKey(path)` is typed exactly where it works:
 * in a program that imports `@ssh/keys/node` or `@ssh/asyncssh`. Each method delegates to the
 * free function of the same name in `./files.ts`, which stays the one implementation (and the
 * one to use from code that prefers functions). The module has a side effect, so package.json
 * lists it in `sideEffects` to keep bundlers from dropping it.
 * @module
 */

import { SSHCertificate } from '../certificate.ts';
import type { ExportOptions, PrivateKeyFormat, PublicKeyFormat } from '../formats/export.ts';
import { SSHKey } from '../key.ts';
import { appendCertificate, appendPrivateKey, appendPublicKey, writeCertificate, writePrivateKey, writePublicKey } from './files.ts';

declare module '../key.ts' {
  interface SSHKey {
    /**
     * Writes the private key to `path` (created or truncated, mode 0600) in `format` (default
     * 'openssh'), encrypted when `options.passphrase` is given. AsyncSSH write_private_key.
     * Available once `@ssh/keys/node` (or `@ssh/asyncssh`) is imported.
     */
    writePrivateKey(path: string, format?: PrivateKeyFormat, options?: ExportOptions): Promise<void>;
    /** As writePrivateKey, appending to `path`. AsyncSSH append_private_key. */
    appendPrivateKey(path: string, format?: PrivateKeyFormat, options?: ExportOptions): Promise<void>;
    /** Writes the public key to `path` in `format` (default 'openssh'). AsyncSSH write_public_key. */
    writePublicKey(path: string, format?: PublicKeyFormat): Promise<void>;
    /** As writePublicKey, appending to `path`. AsyncSSH append_public_key. */
    appendPublicKey(path: string, format?: PublicKeyFormat): Promise<void>;
  }
}

declare module '../certificate.ts' {
  interface SSHCertificate {
    /** Writes the certificate to `path` in `format` (default 'openssh'). AsyncSSH write_certificate. */
    writeCertificate(path: string, format?: 'openssh' | 'rfc4716'): Promise<void>;
    /** As writeCertificate, appending to `path`. AsyncSSH append_certificate. */
    appendCertificate(path: string, format?: 'openssh' | 'rfc4716'): Promise<void>;
  }
}

SSHKey.prototype.writePrivateKey = function writePrivateKeyMethod(this: SSHKey, path: string, format?: PrivateKeyFormat, options?: ExportOptions): Promise<void> {
  return writePrivateKey(this, path, format, options);
};
SSHKey.prototype.appendPrivateKey = function appendPrivateKeyMethod(this: SSHKey, path: string, format?: PrivateKeyFormat, options?: ExportOptions): Promise<void> {
  return appendPrivateKey(this, path, format, options);
};
SSHKey.prototype.writePublicKey = function writePublicKeyMethod(this: SSHKey, path: string, format?: PublicKeyFormat): Promise<void> {
  return writePublicKey(this, path, format);
};
SSHKey.prototype.appendPublicKey = function appendPublicKeyMethod(this: SSHKey, path: string, format?: PublicKeyFormat): Promise<void> {
  return appendPublicKey(this, path, format);
};
SSHCertificate.prototype.writeCertificate = function writeCertificateMethod(this: SSHCertificate, path: string, format?: 'openssh' | 'rfc4716'): Promise<void> {
  return writeCertificate(this, path, format);
};
SSHCertificate.prototype.appendCertificate = function appendCertificateMethod(this: SSHCertificate, path: string, format?: 'openssh' | 'rfc4716'): Promise<void> {
  return appendCertificate(this, path, format);
};
