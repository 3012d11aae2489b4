/**
 * POSIX getopt for the programs and for sftp's commands: single-letter options, clustered
 * (`-rp`), with their argument attached or next (`-P22`, `-P 22`); options end at the first
 * operand or at `--`.
 * @module
 */

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Parsed {
  /** Each option letter seen, with its arguments in order (flags get one '' per occurrence). */
  readonly options: ReadonlyMap<string, readonly string[]>;
  readonly operands: readonly string[];
  /** Whether the options ended at a `--` (rather than at the first operand or the end). */
  readonly dashDash: boolean;
}

/** `argv` with a lone `--help` read as `-h`: each program answers either with its usage and status 0. */
export function helpAsFlag(argv: readonly string[]): readonly string[] {
  return argv.length === 1 && argv[0] === '--help' ? ['-h'] : argv;
}

/**
 * Parses `argv` against `flags` (letters without an argument) and `withArgument` (letters taking
 * one). Throws UsageError for an unknown option or a missing argument.
 */
export function getopt(argv: readonly string[], flags: string, withArgument = ''): Parsed {
  const options = new Map<string, string[]>();
  const add = (letter: string, value: string): void => {
    const list = options.get(letter);
    if (list) list.push(value);
    else options.set(letter, [value]);
  };
  let i = 0;
  let dashDash = false;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      i++;
      dashDash = true;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j] as string;
      if (withArgument.includes(letter)) {
        const value = j + 1 < arg.length ? arg.slice(j + 1) : argv[++i];
        if (value === undefined) throw new UsageError(`option requires an argument -- ${letter}`);
        add(letter, value);
        break;
      }
      if (!flags.includes(letter)) throw new UsageError(`unknown option -- ${letter}`);
      add(letter, '');
    }
  }
  return { options, operands: argv.slice(i), dashDash };
}

/** The last argument given to option `letter`, if any. */
export function lastValue(parsed: Parsed, letter: string): string | undefined {
  return parsed.options.get(letter)?.at(-1);
}

export function hasFlag(parsed: Parsed, letter: string): boolean {
  return parsed.options.has(letter);
}

/** A port number argument, or a UsageError. */
export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`bad port ${JSON.stringify(text)}`);
  return port;
}
