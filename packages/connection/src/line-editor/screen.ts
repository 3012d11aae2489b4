/**
 * The line editor's model of the client's terminal: where the cursor is, with the pending-wrap
 * state of VT100-style auto-wrap (a character written in the last column leaves the cursor there
 * until the next one), and the output that moves it (ECMA-48 CUU/CUD/CUF/CUB cursor movement).
 * Columns are linear, `row * width + column`, counted from column 0 of the row on which the
 * current output line began.
 * @module
 */

import { charWidth, isPrintable } from './width.ts';

const CSI = '\x1b[';

/** Linear column where `chars[pos]` is drawn when `chars` starts at `start` (its end for `pos === length`). */
export function columnOf(chars: readonly string[], start: number, pos: number, width: number): number {
  let column = start;
  for (let i = 0; i <= pos && i < chars.length; i++) {
    const w = charWidth(chars[i] ?? '');
    // A wide character never starts in the last column: the terminal moves it to the next row.
    if (w === 2 && column % width === width - 1) column++;
    if (i < pos) column += w;
  }
  return column;
}

/** The cursor of the client's terminal, and the text queued for it. */
export class TerminalCursor {
  width: number;
  /** The cursor's linear column. */
  column = 0;
  /** The cursor sits in the last column after writing there, waiting to wrap. */
  pendingWrap = false;
  /** Text queued for the terminal. */
  out = '';

  constructor(width: number) {
    this.width = width;
  }

  /** Takes the queued text. */
  take(): string {
    const out = this.out;
    this.out = '';
    return out;
  }

  /** Moves the cursor to a linear column with cursor movement sequences (ANSI terminals). */
  moveTo(column: number): void {
    const width = this.width;
    const rows = Math.floor(column / width) - Math.floor(this.column / width);
    const cols = (column % width) - (this.column % width);
    if (rows < 0) this.out += `${CSI}${-rows}A`;
    else if (rows > 0) this.out += `${CSI}${rows}B`;
    if (cols > 0) this.out += `${CSI}${cols}C`;
    else if (cols < 0) this.out += `${CSI}${-cols}D`;
    this.column = column;
    this.pendingWrap = false;
  }

  /**
   * Writes printable characters at the cursor; a wide character that would start in the last
   * column gets a space there first, as the terminal leaves that cell blank.
   */
  print(chars: readonly string[]): void {
    let out = '';
    for (const ch of chars) {
      if (charWidth(ch) === 2 && this.#wideWraps()) out += ' ';
      out += ch;
      this.#advance(ch);
    }
    this.out += out;
  }

  /** Leaves the pending-wrap state by wrapping for real (space, backspace), so that movement is exact. */
  settle(): void {
    if (this.pendingWrap) {
      this.out += ' \b';
      this.pendingWrap = false;
    }
  }

  /** Follows the cursor through text written by the application (escape sequences count for nothing). */
  track(text: string): void {
    const width = this.width;
    const chars = Array.from(text);
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i] ?? '';
      if (ch === '\x1b') {
        i = skipSequence(chars, i);
        continue;
      }
      const rowStart = this.pendingWrap ? this.column - width : this.column - (this.column % width);
      const column = this.pendingWrap ? width - 1 : this.column % width;
      if (ch === '\r') {
        this.column = rowStart;
      } else if (ch === '\n') {
        this.column = column;
      } else if (ch === '\b') {
        this.column = rowStart + Math.max(0, column - 1);
      } else if (ch === '\t') {
        this.column = rowStart + Math.min(width - 1, (Math.floor(column / 8) + 1) * 8);
      } else {
        if (isPrintable(ch)) this.#advance(ch);
        continue;
      }
      this.pendingWrap = false;
    }
  }

  #wideWraps(): boolean {
    return this.column % this.width === this.width - 1 && !this.pendingWrap;
  }

  #advance(ch: string): void {
    const w = charWidth(ch);
    if (w === 0) return;
    if (w === 2 && this.#wideWraps()) this.column++;
    this.column += w;
    this.pendingWrap = this.column % this.width === 0;
  }
}

/** Index of the last character of the escape sequence starting at `chars[at]` (ESC). */
function skipSequence(chars: readonly string[], at: number): number {
  let i = at + 1;
  const kind = chars[i];
  if (kind === '[') {
    // Control sequence: parameters and intermediates, then a final byte 0x40-0x7E.
    while (i + 1 < chars.length) {
      const c = (chars[++i] ?? '').codePointAt(0) ?? 0;
      if (c >= 0x40 && c <= 0x7e) break;
    }
  } else if (kind === ']') {
    // Operating system command: up to BEL or ESC \.
    while (i + 1 < chars.length) {
      const c = chars[++i];
      if (c === '\x07') break;
      if (c === '\x1b' && chars[i + 1] === '\\') return i + 1;
    }
  }
  return i;
}
