/**
 * What the programs tell a user whose key lives on a FIDO authenticator, worded as OpenSSH's ssh
 * words it: "Confirm user presence for key ED25519-SK SHA256:..." before each signature that
 * waits for a touch, and "Enter PIN for ED25519-SK key SHA256:...: " read from the controlling
 * terminal without echo when the authenticator wants its PIN.
 * @module
 */

import { closeSync, openSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import type { SecurityKeyPrompts } from '@ssh/asyncssh';

/** Reads a secret after `prompt`: the answer, or undefined when there is no one to ask. */
export type SecretReader = (prompt: string) => Promise<string | undefined>;

/** The prompts of a program that writes notices with `err` and reads secrets with `readSecret`. */
export function securityKeyPrompts(err: (text: string) => void, readSecret: SecretReader = readFromTerminal): SecurityKeyPrompts {
  return {
    touch: (key) => err(`Confirm user presence for key ${key.label} ${key.getFingerprint()}\n`),
    pin: (key) => readSecret(`Enter PIN for ${key.label} key ${key.getFingerprint()}: `),
  };
}

const ENTER = new Set([0x0a, 0x0d]);
const ERASE = new Set([0x08, 0x7f]);
const INTERRUPT = 0x03;
const END_OF_FILE = 0x04;

/**
 * Reads a line from the controlling terminal (/dev/tty) with echo off, as ssh's readpassphrase()
 * does, so that it works with stdin and stdout redirected. Undefined without a terminal, and when
 * the user interrupts (^C) or ends the input (^D) on an empty line.
 */
export function readFromTerminal(prompt: string): Promise<string | undefined> {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    return Promise.resolve(undefined);
  }
  let input: ReadStream;
  try {
    input = new ReadStream(fd);
    input.setRawMode(true);
  } catch {
    closeSync(fd);
    return Promise.resolve(undefined);
  }
  writeSync(fd, prompt);
  return new Promise((resolve) => {
    const typed: number[] = [];
    const finish = (answer: string | undefined): void => {
      input.off('data', onData);
      input.setRawMode(false);
      writeSync(fd, '\n');
      // Closes the descriptor opened above.
      input.destroy();
      resolve(answer);
    };
    const onData = (chunk: Buffer): void => {
      for (const byte of chunk) {
        if (ENTER.has(byte)) return finish(Buffer.from(typed).toString('utf8'));
        if (byte === INTERRUPT || (byte === END_OF_FILE && typed.length === 0)) return finish(undefined);
        if (byte === END_OF_FILE) return finish(Buffer.from(typed).toString('utf8'));
        if (ERASE.has(byte)) {
          // One character, not one byte: a UTF-8 sequence's continuation bytes go with its lead.
          let dropped = typed.pop();
          while (dropped !== undefined && (dropped & 0xc0) === 0x80) dropped = typed.pop();
        } else typed.push(byte);
      }
    };
    input.on('data', onData);
  });
}
