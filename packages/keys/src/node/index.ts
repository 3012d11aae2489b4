/**
 * @ssh/keys/node: reading and writing keys, certificates and trust files on the file system,
 * AsyncSSH's load_keypairs / load_public_keys / load_certificates, and the file-writing methods
 * of SSHKey and SSHCertificate (installed by importing this subpath).
 * @module
 */

import './key-methods.ts';

export * from './files.ts';
export * from './pkcs11.ts';
export * from './security-key/index.ts';
