/**
 * Values of the extensions an SSH_MSG_EXT_INFO carries, keyed by extension name. RFC 8308 §3
 * (server-sig-algs, delay-compression, no-flow-control, elevation), draft-miller-ssh-ping and
 * OpenSSH PROTOCOL §1.9-1.10 (ping@openssh.com, publickey-hostbound@openssh.com), and the
 * "global-requests-ok" extension (draft-ssh-global-requests-ok; empty value).
 * @module
 */

import * as W from '../codecs.ts';
import { type CaseValue, type Cases } from '../codecs.ts';
import { type Infer, defineTable } from '../schema.ts';

const cases = {
  /** RFC 8308 §3.1: the value is a name-list without its own length prefix. */
  'server-sig-algs': { algorithms: W.restNameList },
  /** RFC 8308 §3.2: two name-lists (client to server, server to client). */
  'delay-compression': { compressionClientToServer: W.nameList, compressionServerToClient: W.nameList },
  /** RFC 8308 §3.3: "p" (preferred) or "s" (supported). */
  'no-flow-control': { value: W.restUtf8 },
  /** RFC 8308 §3.4: "y", "n" or "d". */
  elevation: { value: W.restUtf8 },
  /** The server accepts global requests before authentication completes; the value is empty. */
  'global-requests-ok': {},
  /** OpenSSH: SSH_MSG_PING is supported; the value is the version, "0". */
  'ping@openssh.com': { version: W.restUtf8 },
  /** OpenSSH: the publickey-hostbound-v00@openssh.com auth method is supported; value "0". */
  'publickey-hostbound@openssh.com': { version: W.restUtf8 },
} as const satisfies Cases;

/** Extension values by name. */
export const ExtInfoExtensions = defineTable('ext-info extension', cases);
export type ExtInfoExtensionValue = Infer<typeof ExtInfoExtensions>;
export type ExtInfoExtensionOf<K extends keyof typeof cases> = CaseValue<typeof cases, K>;
