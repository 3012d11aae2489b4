/** Re-exports for packet tests plus a guard for "is one of our typed errors". */
import { SshError } from '@ssh/wire';

export * from '../../src/index.ts';

export function SshErrorGuard(e: unknown): boolean {
  return e instanceof SshError;
}
