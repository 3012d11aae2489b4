/**
 * The line editor's key bindings (AsyncSSH's SSHLineEditor key list, plus ^W, ^L and the
 * Home/End variants of xterm's application mode and rxvt) and the syntax of terminal escape
 * sequences (ECMA-48 §5.4 control sequences, SS3), used to skip sequences that have no binding.
 * @module
 */

/** An editing action the editor performs for a key. */
export type EditAction =
  | 'enter'
  | 'eof-or-delete'
  | 'erase-left'
  | 'erase-right'
  | 'erase-line'
  | 'erase-to-end'
  | 'erase-word'
  | 'history-prev'
  | 'history-next'
  | 'move-left'
  | 'move-right'
  | 'move-to-start'
  | 'move-to-end'
  | 'redraw'
  | 'insert-erased'
  | 'send-break';

/** The default bindings: key sequence → action. */
export const DEFAULT_KEYS: ReadonlyArray<readonly [EditAction, readonly string[]]> = [
  ['enter', ['\r', '\n', '\x1bOM']],
  ['eof-or-delete', ['\x04']],
  ['erase-left', ['\x08', '\x7f']],
  ['erase-right', ['\x1b[3~']],
  ['erase-line', ['\x15']],
  ['erase-to-end', ['\x0b']],
  ['erase-word', ['\x17']],
  ['history-prev', ['\x10', '\x1b[A', '\x1bOA']],
  ['history-next', ['\x0e', '\x1b[B', '\x1bOB']],
  ['move-left', ['\x02', '\x1b[D', '\x1bOD']],
  ['move-right', ['\x06', '\x1b[C', '\x1bOC']],
  ['move-to-start', ['\x01', '\x1b[H', '\x1bOH', '\x1b[1~', '\x1b[7~']],
  ['move-to-end', ['\x05', '\x1b[F', '\x1bOF', '\x1b[4~', '\x1b[8~']],
  ['redraw', ['\x12', '\x0c']],
  ['insert-erased', ['\x19']],
  ['send-break', ['\x03', '\x1b[33~']],
];

/** Longest escape sequence kept while waiting for its end; longer ones are dropped as garbage. */
const MAX_SEQUENCE = 32;

/** Where an unbound escape sequence stands. */
export type SequenceState =
  /** More characters are needed. */
  | { readonly kind: 'partial' }
  /** The whole of `seq` is one (unbound) sequence, to be ignored. */
  | { readonly kind: 'complete' }
  /** `seq` minus its last `keep` characters was a broken sequence; those characters start anew. */
  | { readonly kind: 'broken'; readonly keep: number };

/**
 * Classifies `seq`, which starts with ESC: a control sequence is `ESC [` parameter and
 * intermediate bytes (0x20–0x3F) then one final byte (0x40–0x7E); SS3 is `ESC O` and one
 * character; ESC and any other character is a two-character (Meta) sequence. A control
 * character inside a sequence breaks it; that character is processed on its own.
 */
export function classifySequence(seq: string): SequenceState {
  if (seq.length < 2) return { kind: 'partial' };
  const second = seq.charCodeAt(1);
  if (second < 0x20 || second === 0x7f) return { kind: 'broken', keep: 1 };
  if (seq[1] === 'O') {
    if (seq.length < 3) return { kind: 'partial' };
    const third = seq.charCodeAt(2);
    return third < 0x20 || third === 0x7f ? { kind: 'broken', keep: 1 } : { kind: 'complete' };
  }
  if (seq[1] !== '[') return { kind: 'complete' };
  for (let i = 2; i < seq.length; i++) {
    const c = seq.charCodeAt(i);
    if (c >= 0x40 && c <= 0x7e) return i === seq.length - 1 ? { kind: 'complete' } : { kind: 'broken', keep: seq.length - 1 - i };
    if (c < 0x20 || c > 0x3f) return { kind: 'broken', keep: seq.length - i };
  }
  return seq.length >= MAX_SEQUENCE ? { kind: 'complete' } : { kind: 'partial' };
}
