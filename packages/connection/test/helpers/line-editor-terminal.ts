/**
 * A small terminal emulator for the line editor's tests: a grid of cells that interprets the
 * subset of VT100/xterm the editor emits (printable text with auto-wrap and pending wrap, wide
 * characters, CR, LF, BS, BEL, CSI n A/B/C/D, CSI K, CSI J, SGR ignored) and throws on anything else, so a
 * test sees any unexpected byte. `resize()` re-flows soft-wrapped rows like today's terminals.
 */

import { charWidth } from '../../src/line-editor/index.ts';

/** Continuation cell: the right half of a wide character. */
const CONT = '';

interface Row {
  cells: string[];
  /** The row continues on the next one (auto-wrap, not a line feed). */
  wrapped: boolean;
}

export class Terminal {
  width: number;
  readonly height: number;
  rows: Row[];
  row = 0;
  col = 0;
  pendingWrap = false;
  bells = 0;
  /** Rows scrolled off the top, as text. */
  readonly scrolledOff: string[] = [];
  #partial = '';

  constructor(width: number, height = 24) {
    this.width = width;
    this.height = height;
    this.rows = Array.from({ length: height }, () => this.#blankRow());
  }

  #blankRow(): Row {
    return { cells: Array.from({ length: this.width }, () => ' '), wrapped: false };
  }

  #rowAt(r: number): Row {
    const row = this.rows[r];
    if (row === undefined) throw new Error(`row ${r} outside the screen`);
    return row;
  }

  /** Rows as text (wide characters once, trailing blanks trimmed, trailing empty rows dropped). */
  screen(): string[] {
    const lines = this.rows.map((row) => row.cells.join('').trimEnd());
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines;
  }

  /** The cursor as [row, column]. */
  cursor(): [number, number] {
    return [this.row, this.col];
  }

  write(text: string): void {
    const chars = Array.from(this.#partial + text);
    this.#partial = '';
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i] ?? '';
      if (ch === '\x1b') {
        if (chars[i + 1] === undefined) {
          this.#partial = ch;
          return;
        }
        if (chars[i + 1] !== '[') throw new Error(`unexpected ESC ${JSON.stringify(chars[i + 1])}`);
        let j = i + 2;
        while (j < chars.length && /[0-9;?]/.test(chars[j] ?? '')) j++;
        if (j >= chars.length) {
          this.#partial = chars.slice(i).join('');
          return;
        }
        this.#csi(chars.slice(i + 2, j).join(''), chars[j] ?? '');
        i = j;
        continue;
      }
      switch (ch) {
        case '\r':
          this.col = 0;
          this.pendingWrap = false;
          break;
        case '\n':
          this.pendingWrap = false;
          this.#lineFeed();
          break;
        case '\b':
          this.pendingWrap = false;
          this.col = Math.max(0, this.col - 1);
          break;
        case '\x07':
          this.bells++;
          break;
        default: {
          const code = ch.codePointAt(0) ?? 0;
          if (code < 0x20 || code === 0x7f) throw new Error(`unexpected control character ${code.toString(16)}`);
          this.#print(ch);
        }
      }
    }
  }

  #lineFeed(): void {
    if (this.row < this.height - 1) {
      this.row++;
      return;
    }
    const top = this.rows.shift();
    this.scrolledOff.push((top?.cells ?? []).join('').trimEnd());
    this.rows.push(this.#blankRow());
  }

  #wrapToNextRow(): void {
    this.#rowAt(this.row).wrapped = true;
    this.col = 0;
    this.#lineFeed();
    this.#rowAt(this.row).wrapped = false;
  }

  #put(col: number, value: string): void {
    const cells = this.#rowAt(this.row).cells;
    // Overwriting half of a wide character blanks the other half.
    if (cells[col] === CONT && col > 0 && value !== CONT) cells[col - 1] = ' ';
    if (cells[col + 1] === CONT && value !== CONT) cells[col + 1] = ' ';
    cells[col] = value;
  }

  #print(ch: string): void {
    const w = charWidth(ch);
    if (w === 0) {
      const cells = this.#rowAt(this.row).cells;
      let at = this.pendingWrap ? this.col : this.col - 1;
      if (cells[at] === CONT) at--;
      if (at >= 0) cells[at] += ch;
      return;
    }
    if (this.pendingWrap) {
      this.pendingWrap = false;
      this.#wrapToNextRow();
    }
    if (w === 2 && this.col === this.width - 1) this.#wrapToNextRow();
    this.#put(this.col, ch);
    if (w === 2) this.#put(this.col + 1, CONT);
    this.col += w;
    if (this.col >= this.width) {
      this.col = this.width - 1;
      this.pendingWrap = true;
    }
  }

  #csi(params: string, final: string): void {
    // Colours and styles leave a pending wrap pending, as in xterm: the next character still
    // starts the next row.
    if (final === 'm') return;
    const n = Math.max(1, Number.parseInt(params || '1', 10) || 1);
    this.pendingWrap = false;
    switch (final) {
      case 'A':
        this.row = Math.max(0, this.row - n);
        return;
      case 'B':
        this.row = Math.min(this.height - 1, this.row + n);
        return;
      case 'C':
        this.col = Math.min(this.width - 1, this.col + n);
        return;
      case 'D':
        this.col = Math.max(0, this.col - n);
        return;
      case 'K':
        if (params !== '' && params !== '0') break;
        this.#clearFrom(this.row, this.col);
        return;
      case 'J':
        if (params !== '' && params !== '0') break;
        this.#clearFrom(this.row, this.col);
        for (let r = this.row + 1; r < this.height; r++) this.rows[r] = this.#blankRow();
        return;
    }
    throw new Error(`unexpected control sequence CSI ${params}${final}`);
  }

  #clearFrom(r: number, col: number): void {
    const row = this.#rowAt(r);
    if (row.cells[col] === CONT && col > 0) row.cells[col - 1] = ' ';
    for (let c = col; c < this.width; c++) row.cells[c] = ' ';
    row.wrapped = false;
  }

  /** Changes the width, re-flowing soft-wrapped rows; the cursor keeps its place in the text. */
  resize(width: number): void {
    // Logical lines: runs of rows joined by auto-wrap, as lists of cells.
    const logical: string[][] = [];
    let cursorLine = 0;
    let cursorOffset = 0;
    let current: string[] = [];
    this.rows.forEach((row, r) => {
      if (r === this.row) {
        cursorLine = logical.length;
        cursorOffset = current.length + this.col + (this.pendingWrap ? 1 : 0);
      }
      current.push(...(row.wrapped ? row.cells : trimCells(row.cells)));
      if (!row.wrapped) {
        logical.push(current);
        current = [];
      }
    });
    if (current.length > 0) logical.push(current);
    // Blank rows below the cursor are not content.
    while (logical.length - 1 > cursorLine && (logical[logical.length - 1] ?? []).length === 0) logical.pop();

    this.width = width;
    const rows: Row[] = [];
    let cursorRow = 0;
    let cursorCol = 0;
    logical.forEach((cells, index) => {
      let row = this.#blankRow();
      let col = 0;
      const place: number[] = [];
      for (const cell of cells) {
        if (cell === CONT) continue;
        const w = charWidth(Array.from(cell)[0] ?? ' ');
        if (col + w > width) {
          row.wrapped = true;
          rows.push(row);
          row = this.#blankRow();
          col = 0;
        }
        place.push(rows.length * width + col);
        row.cells[col] = cell;
        if (w === 2) {
          row.cells[col + 1] = CONT;
          place.push(rows.length * width + col + 1);
        }
        col += w;
      }
      rows.push(row);
      if (index === cursorLine) {
        const at = cursorOffset < place.length ? (place[cursorOffset] ?? 0) : (rows.length - 1) * width + col + (cursorOffset - place.length);
        cursorRow = Math.floor(at / width);
        cursorCol = at % width;
        if (cursorRow >= rows.length) rows.push(this.#blankRow());
      }
    });
    // Keep the cursor's row on the screen, dropping rows from the top as needed.
    const drop = Math.max(0, rows.length - this.height, cursorRow - (this.height - 1));
    for (const row of rows.splice(0, Math.min(drop, rows.length))) this.scrolledOff.push(row.cells.join('').trimEnd());
    cursorRow -= drop;
    while (rows.length < this.height) rows.push(this.#blankRow());
    this.rows = rows.slice(0, this.height);
    this.row = Math.max(0, cursorRow);
    this.col = Math.min(width - 1, cursorCol);
    this.pendingWrap = false;
  }
}

function trimCells(cells: string[]): string[] {
  let end = cells.length;
  while (end > 0 && cells[end - 1] === ' ') end--;
  return cells.slice(0, end);
}
