/**
 * The generic dispatch table (every message whose number means one thing in every context) and
 * the message-name lookup for logs, both derived from the declarations. RFC 4250 §4.1.
 * @module
 */

import { type MessageTable, defineMessageTable } from '../schema.ts';
import { connectionMessages } from './connection.ts';
import { kexMessageTables } from './kex.ts';
import { transportMessages } from './transport.ts';
import { userauthMessageTables, userauthMessages } from './userauth.ts';

/** Transport, userauth (50-53) and connection messages; never the method-specific 30-49 / 60-79. */
export const genericMessages = defineMessageTable('generic', [...transportMessages, ...userauthMessages, ...connectionMessages]);

/** Every method-specific table (key exchange and user authentication). */
export const methodMessageTables = [...kexMessageTables, ...userauthMessageTables] as const;

const NAMES: readonly string[] = (() => {
  const names: string[][] = Array.from({ length: 256 }, () => []);
  for (const t of [genericMessages, ...methodMessageTables] as readonly MessageTable[]) {
    for (const m of t.messages) {
      const list = names[m.number] as string[];
      if (!list.includes(m.name)) list.push(m.name);
    }
  }
  return names.map((n) => n.join('|'));
})();

/**
 * The name of a message number for logs. With the active method's table, the exact name; without
 * it, every name the number has (`SSH_MSG_KEXDH_INIT|SSH_MSG_KEX_ECDH_INIT|...`), or
 * `SSH_MSG_UNKNOWN_<n>` when nothing declares it.
 */
export function messageName(number: number, table?: MessageTable): string {
  const exact = table?.nameOf(number);
  if (exact !== undefined) return exact;
  const name = Number.isInteger(number) && number >= 0 && number < 256 ? NAMES[number] : undefined;
  return name ? name : `SSH_MSG_UNKNOWN_${number}`;
}
