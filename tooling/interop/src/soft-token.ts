/**
 * A PKCS#11 token in software (SoftHSM 2) holding throwaway keys, for the tests of
 * loadPkcs11Keys: keys made by the openssl command and imported with softhsm2-util, X.509
 * certificates written with OpenSC's pkcs11-tool. SoftHSM finds its tokens through
 * SOFTHSM2_CONF, which it reads once when the provider is initialized: this process gets one
 * token directory, set on first use, and every token a test wants must exist before its first
 * load of the provider.
 * @module
 */
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './process.ts';
import { tempRoot } from './tmp.ts';

export const SOFTHSM_PROVIDER = '/usr/lib/softhsm/libsofthsm2.so';

export type SoftTokenKeyType = 'rsa' | 'ec-p256' | 'ec-p384' | 'ec-p521' | 'ed25519';

export interface SoftTokenKeySpec {
  readonly type: SoftTokenKeyType;
  readonly label: string;
  /** CKA_ID as hex. */
  readonly id: string;
  /** Also write a self-signed X.509 certificate with the key's id. */
  readonly certificate?: boolean;
  /** A user principal for the certificate (subjectAltName email:, as AsyncSSH's user certificates carry it). */
  readonly certificatePrincipal?: string;
}

export interface SoftTokenKey extends SoftTokenKeySpec {
  /** The public key as SPKI PEM. */
  readonly publicKeyPem: string;
  /** The certificate as DER, when asked for. */
  readonly certificateDer: Uint8Array | undefined;
}

export interface SoftToken {
  readonly provider: string;
  readonly label: string;
  readonly pin: string;
  readonly keys: readonly SoftTokenKey[];
}

/** Whether SoftHSM and pkcs11-tool are installed (tooling/scripts/ensure-peers.sh installs them). */
export function softTokenAvailable(): boolean {
  return existsSync(SOFTHSM_PROVIDER) && existsSync('/usr/bin/softhsm2-util') && existsSync('/usr/bin/pkcs11-tool');
}

let conf: string | undefined;

/** This process's SoftHSM configuration, made and put in the environment on first use. */
function softhsmConf(): string {
  if (conf !== undefined) return conf;
  const dir = join(tempRoot(), 'softhsm');
  mkdirSync(join(dir, 'tokens'), { recursive: true, mode: 0o700 });
  const file = join(dir, 'softhsm2.conf');
  writeFileSync(file, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env['SOFTHSM2_CONF'] = file;
  return (conf = file);
}

const GENPKEY: Readonly<Record<SoftTokenKeyType, readonly string[]>> = {
  rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  'ec-p256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'ec-p384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  'ec-p521': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
  ed25519: ['-algorithm', 'ED25519'],
};

/** A new initialized token `label` with user PIN `pin` holding `keys`. */
export async function softToken(label: string, pin: string, keys: readonly SoftTokenKeySpec[]): Promise<SoftToken> {
  const env = { SOFTHSM2_CONF: softhsmConf() };
  const dir = join(tempRoot(), 'softhsm', `keys-${label}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  await run('/usr/bin/softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', `so-${pin}`], { env, timeoutMs: 30_000 });
  const made: SoftTokenKey[] = [];
  for (const spec of keys) {
    const pem = join(dir, `${spec.label}.pem`);
    await run('/usr/bin/openssl', ['genpkey', ...GENPKEY[spec.type], '-out', pem], { timeoutMs: 60_000 });
    await run('/usr/bin/softhsm2-util', ['--import', pem, '--token', label, '--label', spec.label, '--id', spec.id, '--pin', pin], { env, timeoutMs: 30_000 });
    const publicKeyPem = createPublicKey(readFileSync(pem)).export({ format: 'pem', type: 'spki' }).toString();
    let certificateDer: Uint8Array | undefined;
    if (spec.certificate === true) {
      const der = join(dir, `${spec.label}.crt`);
      const san = spec.certificatePrincipal === undefined ? [] : ['-addext', `subjectAltName=email:${spec.certificatePrincipal}`];
      await run('/usr/bin/openssl', ['req', '-new', '-x509', '-key', pem, '-subj', `/CN=${spec.label}`, ...san, '-days', '2', '-outform', 'DER', '-out', der], { timeoutMs: 30_000 });
      await run(
        '/usr/bin/pkcs11-tool',
        ['--module', SOFTHSM_PROVIDER, '--token-label', label, '--login', '--pin', pin, '--write-object', der, '--type', 'cert', '--id', spec.id, '--label', spec.label],
        { env, timeoutMs: 30_000 },
      );
      certificateDer = new Uint8Array(readFileSync(der));
    }
    made.push({ ...spec, publicKeyPem, certificateDer });
  }
  return { provider: SOFTHSM_PROVIDER, label, pin, keys: made };
}
