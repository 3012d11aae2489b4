/**
 * Which backend reaches an authenticator, chosen as OpenSSH chooses its SecurityKeyProvider:
 * 'internal' (our CTAP2 over USB HID, as AsyncSSH talks to tokens with python-fido2), the path
 * of an OpenSSH middleware library (sk-api.h), or SSH_SK_PROVIDER from the environment when
 * nothing is given. Applications may also pass a backend object of their own.
 * @module
 */

import type { SecurityKeyBackend } from './backend.ts';
import { CtapBackend } from './ctap/index.ts';
import { MiddlewareBackend } from './middleware.ts';

/** 'internal', a middleware library path, or a backend object. */
export type SecurityKeyProvider = string | SecurityKeyBackend;

/** Backends by library path, so that one library is loaded once per process. */
const byPath = new Map<string, SecurityKeyBackend>();
let internal: SecurityKeyBackend | undefined;

export function securityKeyBackend(provider?: SecurityKeyProvider, env: NodeJS.ProcessEnv = process.env): SecurityKeyBackend {
  if (typeof provider === 'object') return provider;
  const name = provider === undefined || provider === '' ? (env['SSH_SK_PROVIDER'] ?? 'internal') : provider;
  if (name === 'internal' || name === '') return (internal ??= new CtapBackend());
  let backend = byPath.get(name);
  if (backend === undefined) {
    backend = new MiddlewareBackend(name);
    byPath.set(name, backend);
  }
  return backend;
}
