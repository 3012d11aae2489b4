/**
 * @ssh/keys: SSH keys of every type in every format, signatures, and fingerprints.
 * @module
 */

export {
  KeyImportError,
  KeyEncryptionError,
  KeyExportError,
  KeyGenerationError,
  SignatureError,
  Asn1Error,
  CertificateError,
} from './errors.ts';
export { SSHKey, type FingerprintHash } from './key.ts';
export { generatePrivateKey, type GeneratePrivateKeyOptions } from './generate.ts';
export {
  importPrivateKey,
  importPrivateKeyList,
  importPublicKey,
  importPublicKeyList,
  readPrivateKeyFields,
  decodePublicBlob,
  type KeyData,
  type Passphrase,
} from './import.ts';
export {
  PRIVATE_KEY_FORMATS,
  PUBLIC_KEY_FORMATS,
  type PrivateKeyFormat,
  type PublicKeyFormat,
  type ExportOptions,
} from './formats/export.ts';
export { KEY_TYPES, SIGNATURE_ALGORITHMS } from './algs/index.ts';
export { setDefaultSkipRsaKeyValidation } from './algs/rsa.ts';
export { skSignatureFlags, SK_USER_PRESENCE_REQD, SK_USER_VERIFICATION_REQD } from './algs/sk.ts';
export {
  SSHCertificate,
  importCertificate,
  importCertificateList,
  certTypeFor,
  CERT_TYPE_USER,
  CERT_TYPE_HOST,
  type CertificateKind,
  type CertOptions,
  type CertificateOptions,
  type UserCertificateOptions,
} from './certificate.ts';
export { parseTimeValue, type TimeValue } from './time.ts';
export {
  createSshsig,
  createSshsigAsync,
  createSshsigBlob,
  parseSshsig,
  validateSshsig,
  type Sshsig,
  type SshsigHash,
  type CreateSshsigOptions,
  type AsyncSigner,
} from './sshsig.ts';
export {
  SSHKnownHosts,
  importKnownHosts,
  matchKnownHosts,
  parseKnownHostsLine,
  hashHostname,
  knownHostsName,
  type KnownHostsEntry,
  type KnownHostsMarker,
  type KnownHostsMatch,
} from './trust/known-hosts.ts';
export {
  SSHAuthorizedKeys,
  importAuthorizedKeys,
  parseAuthorizedKeyLine,
  type AuthorizedKeyEntry,
  type AuthorizedKeyOptions,
  type AuthorizedKeyContext,
} from './trust/authorized-keys.ts';
export {
  SSHAllowedSigners,
  importAllowedSigners,
  parseAllowedSignerLine,
  verifySshsigForPrincipal,
  type AllowedSigner,
} from './trust/allowed-signers.ts';
export { matchPattern, matchPatternList, matchHostname, matchHostAndIp, matchCidrList } from '@ssh/wire';
export { SSHKeyPair } from './keypair.ts';
export {
  SSHX509Certificate,
  importX509Certificate,
  importX509CertificateList,
  createX509Certificate,
  verifyX509Chain,
  encodeX509Blob,
  decodeX509Blob,
  x509Algorithms,
  x509BaseSigAlgorithm,
  X509_PURPOSES,
  type X509CertificateOptions,
  type X509ChainOptions,
  type X509Extensions,
} from './x509/certificate.ts';
export { matchSubject, nameToString, parseName, type NameAttribute } from './x509/name.ts';
export type { X509Entry } from './trust/x509-entry.ts';
export { encodeCertifiedPrivateFields, readCertifiedPrivateFields } from './cert-private.ts';
