/**
 * Session environments (RFC 4254 §6.4): what `env` and `sendEnv` turn into, as AsyncSSH takes
 * them: a record, or 'NAME=VALUE' strings; values as text or bytes; `sendEnv` names or patterns
 * picked from the local environment.
 * @module
 */

import { matchPattern } from '@ssh/wire';

export type Environment = Readonly<Record<string, string | Uint8Array>> | readonly string[];

const encoder = new TextEncoder();

/** Name/value pairs to send, `env` first, then matches of `sendEnv` in `localEnv`. */
export function encodeEnv(
  env: Environment | undefined,
  sendEnv: readonly string[] | undefined,
  localEnv: Readonly<Record<string, string | undefined>> | undefined,
): [name: string, value: Uint8Array][] {
  const out = new Map<string, Uint8Array>();
  if (Array.isArray(env)) {
    for (const entry of env as readonly string[]) {
      const eq = entry.indexOf('=');
      if (eq <= 0) throw new RangeError(`environment entry ${JSON.stringify(entry)} is not NAME=VALUE`);
      out.set(entry.slice(0, eq), encoder.encode(entry.slice(eq + 1)));
    }
  } else if (env) {
    for (const [name, value] of Object.entries(env as Readonly<Record<string, string | Uint8Array>>)) {
      out.set(name, typeof value === 'string' ? encoder.encode(value) : value);
    }
  }
  if (sendEnv && localEnv) {
    for (const [name, value] of Object.entries(localEnv)) {
      // SendEnv patterns are ssh_config PATTERNS (`*`, `?`), as OpenSSH matches them.
      if (value !== undefined && !out.has(name) && sendEnv.some((p) => matchPattern(name, p))) out.set(name, encoder.encode(value));
    }
  }
  return [...out];
}

/** Decodes received env values as text where they are UTF-8, keeping bytes otherwise. */
export function decodeEnvValue(value: Uint8Array): string | Uint8Array {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(value);
  } catch {
    return value;
  }
}
