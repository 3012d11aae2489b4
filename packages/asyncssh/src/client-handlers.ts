/**
 * SSHClient: the application's callbacks for a client connection, as AsyncSSH's SSHClient.
 * Subclass it and override what you need; a method left alone keeps its default, and the
 * authentication methods that ask for credentials are only used when overridden.
 * @module
 */

import type { SSHCertificate, SSHKey, SSHKeyPair } from '@ssh/keys';
import type { SSHClientConnection } from './client.ts';

export type Awaitable<T> = T | Promise<T>;

export interface KbdintPromptInfo {
  readonly prompt: string;
  readonly echo: boolean;
}

export class SSHClient {
  /** The connection is up (before authentication). */
  connectionMade(_conn: SSHClientConnection): void {}

  /** The connection ended: `error` undefined for a clean close. */
  connectionLost(_error: Error | undefined): void {}

  debugMsgReceived(_message: string, _lang: string, _alwaysDisplay: boolean): void {}

  authBannerReceived(_message: string, _lang: string): void {}

  /** Authentication succeeded. */
  authCompleted(): void {}

  /** A host key known_hosts does not trust: return true to trust it anyway. */
  validateHostPublicKey(_host: string, _addr: string | undefined, _port: number, _key: SSHKey): Awaitable<boolean> {
    return false;
  }

  /** A certificate signer known_hosts does not list: return true to trust it anyway. */
  validateHostCaKey(_host: string, _addr: string | undefined, _port: number, _key: SSHKey): Awaitable<boolean> {
    return false;
  }

  /** Another key to try once the configured ones are used up; null for none. Used when overridden. */
  publicKeyAuthRequested(): Awaitable<SSHKey | SSHKeyPair | null> {
    return null;
  }

  /** A password; null to stop trying passwords. Used when overridden (or a password option is set). */
  passwordAuthRequested(): Awaitable<string | null> {
    return null;
  }

  /** The server asks for a new password: [old, new], or null to decline. */
  passwordChangeRequested(_prompt: string, _lang: string): Awaitable<readonly [oldPassword: string, newPassword: string] | null> {
    return null;
  }

  passwordChanged(): void {}

  passwordChangeFailed(): void {}

  /** Submethods for keyboard-interactive ('' for any), or null to skip it. Used when overridden. */
  kbdintAuthRequested(): Awaitable<string | null> {
    return null;
  }

  /** Answers to a keyboard-interactive challenge, or null to give up on it. */
  kbdintChallengeReceived(_name: string, _instructions: string, _lang: string, _prompts: readonly KbdintPromptInfo[]): Awaitable<readonly string[] | null> {
    return null;
  }
}

/** True when `client` overrides `method` of SSHClient. */
export function overrides(client: SSHClient, method: keyof SSHClient): boolean {
  return (client as unknown as Record<string, unknown>)[method] !== (SSHClient.prototype as unknown as Record<string, unknown>)[method];
}

export type ClientCredential = SSHKey | SSHKeyPair | SSHCertificate;
