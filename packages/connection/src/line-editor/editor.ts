/**
 * A sans-I/O input line editor for server sessions with a pseudo-terminal, after AsyncSSH's
 * SSHLineEditor: it echoes what the user types, lets them edit the line (cursor keys, history,
 * erase, yank) and hands the session whole lines; output the application writes meanwhile is
 * placed above the line being typed. No I/O and no timers: the channel feeds `processInput()`
 * with the decoded input and writes what the sink's `write()` receives.
 * @module
 */

import { DEFAULT_KEYS, classifySequence, type EditAction } from './keys.ts';
import {
  DEFAULT_WIDTH,
  isAnsiTerminal,
  type KeyHandler,
  type LineEditorOptions,
  type LineEditorSink,
} from './options.ts';
import { TerminalCursor, columnOf } from './screen.ts';
import { charWidth, isPrintable } from './width.ts';

type Binding = { readonly action: EditAction } | { readonly handler: KeyHandler };

const ERASE_BELOW = '\x1b[J';

/** UTF-16 index `index` of `text` as a code point index (an index inside a pair counts as before it). */
function codePointIndex(text: string, index: number): number {
  let units = 0;
  let count = 0;
  for (const ch of text) {
    if (units + ch.length > index) break;
    units += ch.length;
    count++;
  }
  return count;
}

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

/**
 * The line editor. The server channel creates one when a session with a pty starts, feeds it the
 * decoded input (`processInput`), sends the application's stdout through `writeOutput`, and calls
 * `setWidth` on window-change. On channel EOF, call `setLineMode(false)` first, as AsyncSSH does:
 * the partial line then reaches the application before the EOF.
 */
/** `'\n'` as `'\r\n'` (one already preceded by `'\r'` stays as it is). */
function toCrLf(text: string): string {
  return text.replace(/(?<!\r)\n/g, '\r\n');
}

export class LineEditor {
  readonly #sink: LineEditorSink;
  readonly #historySize: number;
  readonly #maxLineLength: number;
  readonly #lineEcho: boolean;
  #wrap: boolean;
  #height: number;
  #echo: boolean;
  #lineMode: boolean;

  /** The input line, one code point per element, and the cursor's index in it. */
  #line: string[] = [];
  #pos = 0;

  // Screen model, in the linear columns of TerminalCursor.
  readonly #screen: TerminalCursor;
  /** Where the input starts. */
  #start = 0;
  /** Where the input drawn on screen ends (`#start` when none is drawn). */
  #drawnEnd = 0;
  /** Non-ANSI terminals: the part of the line shown, `[#left, #right)`. */
  #left = 0;
  #right = 0;

  readonly #keys = new Map<string, Binding>();
  /** The first code point of every bound key: those are never inserted in bulk. */
  #keyStarts = new Set<string>();
  /** An incomplete key sequence (split escape sequence). */
  #pendingKey = '';
  /** The last key was CR: a following LF is the same Enter. */
  #afterCr = false;

  #erased = '';
  #history: string[] = [];
  #historyIndex = 0;
  /** The line being typed before the user went up into the history. */
  #draft = '';
  /** An entered line still on screen (lineEcho false). */
  #linePending = false;

  #bellRung = false;

  constructor(options: LineEditorOptions, sink: LineEditorSink) {
    this.#sink = sink;
    this.#wrap = isAnsiTerminal(options.termType);
    this.#screen = new TerminalCursor(options.width > 0 ? Math.floor(options.width) : DEFAULT_WIDTH);
    this.#height = options.height ?? 0;
    this.#historySize = Math.max(0, options.lineHistory ?? 1000);
    this.#maxLineLength = Math.max(0, options.maxLineLength ?? 1024);
    this.#lineEcho = options.lineEcho ?? true;
    this.#echo = options.echo ?? true;
    this.#lineMode = options.lineMode ?? true;
    for (const [action, keys] of DEFAULT_KEYS) {
      for (const key of keys) this.#keys.set(key, { action });
    }
    this.#indexKeys();
  }

  /** The input line being edited. */
  get line(): string {
    return this.#line.join('');
  }

  /** The cursor position in {@link line}, as a UTF-16 index. */
  get pos(): number {
    let units = 0;
    for (let i = 0; i < this.#pos; i++) units += (this.#line[i] ?? '').length;
    return units;
  }

  /** Whether input is echoed. */
  get echo(): boolean {
    return this.#echo;
  }

  /** Whether input is edited a line at a time. */
  get lineMode(): boolean {
    return this.#lineMode;
  }

  /** The terminal size last set: `[width, height]`. */
  get size(): readonly [width: number, height: number] {
    return [this.#screen.width, this.#height];
  }

  /** The input history, oldest first. */
  get history(): readonly string[] {
    return this.#history;
  }

  /** Processes input from the client (channel data, already decoded). Never throws on odd input. */
  processInput(text: string): void {
    const chars = Array.from(text);
    let i = 0;
    try {
      while (i < chars.length) {
        if (!this.#lineMode) {
          const rest = this.#pendingKey + chars.slice(i).join('');
          this.#pendingKey = '';
          this.#flush();
          this.#sink.deliverData(rest);
          return;
        }
        const ch = chars[i++] ?? '';
        if (this.#afterCr) {
          this.#afterCr = false;
          if (ch === '\n' && this.#pendingKey === '') continue;
        }
        this.#resetPendingLine();
        if (this.#pendingKey === '' && this.#isPlain(ch)) {
          let j = i;
          while (j < chars.length && this.#isPlain(chars[j] ?? '')) j++;
          this.#insert([ch, ...chars.slice(i, j)]);
          i = j;
          continue;
        }
        const again = this.#feedKey(ch);
        if (again.length > 0) chars.splice(i, 0, ...again);
      }
    } finally {
      this.#flush();
    }
  }

  /**
   * Writes application output to the terminal, `'\n'` as `'\r\n'` (the terminal is raw: no
   * kernel line discipline adds the carriage return), with line mode on or off, as AsyncSSH does.
   * In line mode the input being typed is erased first and redrawn after the output, on the row
   * where the output ends.
   */
  writeOutput(text: string): void {
    if (!this.#lineMode) {
      const converted = toCrLf(text);
      this.#screen.out += converted;
      this.#screen.track(converted);
      this.#start = this.#drawnEnd = this.#screen.column;
      this.#flush();
      return;
    }
    if (this.#linePending) {
      const entered = this.#line.join('');
      this.#linePending = false;
      if (entered !== '' && text.startsWith(entered)) {
        text = text.slice(entered.length);
      } else {
        this.#eraseInput();
      }
      this.#resetLine();
    }
    const converted = toCrLf(text);
    this.#eraseInput();
    this.#screen.out += converted;
    this.#screen.track(converted);
    this.#screen.settle();
    if (!this.#wrap) this.#screen.column %= this.#screen.width;
    this.#start = this.#drawnEnd = this.#screen.column;
    this.#drawInput();
    this.#flush();
  }

  /** Turns echo on or off (off for passwords: the line is still edited, but not shown, nor kept in history). */
  setEcho(on: boolean): void {
    this.#resetPendingLine();
    if (this.#echo && !on) {
      this.#eraseInput();
      this.#echo = false;
    } else if (!this.#echo && on) {
      this.#echo = true;
      this.#drawInput();
    }
    this.#flush();
  }

  /**
   * Turns line editing on or off. Turning it off erases the partial line from the screen and
   * delivers it with `deliverData`; from then on input goes straight to `deliverData`.
   */
  setLineMode(on: boolean): void {
    this.#resetPendingLine();
    if (this.#lineMode && !on) {
      const data = this.#line.join('') + this.#pendingKey;
      this.#eraseInput();
      this.#pendingKey = '';
      this.#afterCr = false;
      this.#resetLine();
      this.#lineMode = false;
      this.#flush();
      if (data !== '') this.#sink.deliverData(data);
      return;
    }
    if (!this.#lineMode && on) {
      this.#lineMode = true;
      this.#screen.settle();
      if (!this.#wrap) this.#screen.column %= this.#screen.width;
      this.#start = this.#drawnEnd = this.#screen.column;
    }
    this.#flush();
  }

  /** Replaces the input line and puts the cursor at `pos` (a UTF-16 index into `line`, clamped). */
  setInput(line: string, pos: number): void {
    this.#resetPendingLine();
    const index = codePointIndex(line, Math.max(0, Math.min(line.length, Math.trunc(pos) || 0)));
    this.#line = Array.from(line);
    this.#refresh(0, index);
    this.#flush();
  }

  /** Clears the input line. */
  clearInput(): void {
    this.setInput('', 0);
  }

  /**
   * Binds `key` (one character or a sequence, such as `'\t'` or `'\x1b[2~'`) to `handler`,
   * replacing its default action if it has one. See {@link KeyHandlerResult} for what the handler
   * returns. A key that is a prefix of another shadows it.
   */
  registerKey(key: string, handler: KeyHandler): void {
    if (key === '') throw new TypeError('ssh: registerKey needs a non-empty key');
    this.#keys.set(key, { handler });
    this.#indexKeys();
  }

  /**
   * Removes the binding of `key` (a registered handler or a default action): a printable key is
   * then inserted when typed; another rings the bell.
   */
  unregisterKey(key: string): void {
    this.#keys.delete(key);
    this.#indexKeys();
  }

  /** The terminal was resized (window-change): redraws the input for the new width. */
  setWidth(width: number, height?: number): void {
    this.#resetPendingLine();
    this.#screen.width = width > 0 ? Math.floor(width) : DEFAULT_WIDTH;
    if (height !== undefined) this.#height = height;
    if (this.#visible() && this.#drawnEnd !== this.#start) {
      // The terminal re-flows the rows: the cursor stays where it was within the text.
      if (this.#wrap) this.#screen.column = this.#columnOf(this.#pos);
      this.#screen.pendingWrap = false;
      this.#eraseInput();
      this.#drawInput();
    } else if (!this.#wrap) {
      this.#screen.column %= this.#screen.width;
      this.#start = this.#drawnEnd = this.#screen.column;
    }
    this.#flush();
  }

  // ---- input decoding ----

  #indexKeys(): void {
    this.#keyStarts = new Set(Array.from(this.#keys.keys(), (key) => String.fromCodePoint(key.codePointAt(0) ?? 0)));
  }

  /** A character inserted as is: printable and starting no key. */
  #isPlain(ch: string): boolean {
    return isPrintable(ch) && !this.#keyStarts.has(ch);
  }

  #isKeyPrefix(seq: string): boolean {
    for (const key of this.#keys.keys()) {
      if (key.length > seq.length && key.startsWith(seq)) return true;
    }
    return false;
  }

  /** Adds `ch` to the pending key sequence and acts on it; returns characters to process again. */
  #feedKey(ch: string): string[] {
    const seq = this.#pendingKey + ch;
    const binding = this.#keys.get(seq);
    if (binding !== undefined) {
      this.#pendingKey = '';
      this.#dispatch(seq, binding);
      return [];
    }
    if (this.#isKeyPrefix(seq)) {
      this.#pendingKey = seq;
      return [];
    }
    this.#pendingKey = '';
    if (seq.startsWith('\x1b')) {
      const state = classifySequence(seq);
      switch (state.kind) {
        case 'partial':
          this.#pendingKey = seq;
          return [];
        case 'complete':
          this.#bell();
          return [];
        case 'broken':
          this.#bell();
          return Array.from(seq.slice(seq.length - state.keep));
      }
    }
    // A prefix of a longer key that did not follow: its first character stands alone.
    const [first = '', ...rest] = Array.from(seq);
    if (isPrintable(first)) this.#insert([first]);
    else this.#bell();
    return rest;
  }

  #dispatch(key: string, binding: Binding): void {
    if ('handler' in binding) {
      this.#callHandler(key, binding.handler);
      return;
    }
    switch (binding.action) {
      case 'enter':
        this.#enter();
        this.#afterCr = key === '\r';
        return;
      case 'eof-or-delete':
        if (this.#line.length === 0) {
          this.#flush();
          this.#sink.deliverEof?.();
        } else {
          this.#eraseRight();
        }
        return;
      case 'erase-left':
        if (this.#pos === 0) return this.#bell();
        this.#line.splice(this.#pos - 1, 1);
        return this.#refresh(this.#pos - 1, this.#pos - 1);
      case 'erase-right':
        return this.#eraseRight();
      case 'erase-line':
        this.#erased = this.#line.join('');
        this.#line = [];
        return this.#refresh(0, 0);
      case 'erase-to-end':
        this.#erased = this.#line.slice(this.#pos).join('');
        this.#line.length = this.#pos;
        return this.#refresh(this.#pos, this.#pos);
      case 'erase-word': {
        if (this.#pos === 0) return this.#bell();
        let from = this.#pos;
        while (from > 0 && isSpace(this.#line[from - 1])) from--;
        while (from > 0 && !isSpace(this.#line[from - 1])) from--;
        this.#erased = this.#line.splice(from, this.#pos - from).join('');
        return this.#refresh(from, from);
      }
      case 'history-prev':
        if (this.#historyIndex === 0) return this.#bell();
        if (this.#historyIndex === this.#history.length) this.#draft = this.#line.join('');
        this.#historyIndex--;
        this.#line = Array.from(this.#history[this.#historyIndex] ?? '');
        return this.#refresh(0, this.#line.length);
      case 'history-next':
        if (this.#historyIndex >= this.#history.length) return this.#bell();
        this.#historyIndex++;
        this.#line = Array.from(this.#history[this.#historyIndex] ?? this.#draft);
        return this.#refresh(0, this.#line.length);
      case 'move-left':
        if (this.#pos === 0) return this.#bell();
        return this.#moveCursor(this.#pos - 1);
      case 'move-right':
        if (this.#pos === this.#line.length) return this.#bell();
        return this.#moveCursor(this.#pos + 1);
      case 'move-to-start':
        return this.#moveCursor(0);
      case 'move-to-end':
        return this.#moveCursor(this.#line.length);
      case 'redraw':
        this.#eraseInput();
        return this.#drawInput();
      case 'insert-erased':
        return this.#insert(Array.from(this.#erased));
      case 'send-break':
        this.#flush();
        this.#sink.deliverBreak?.(0);
        return;
    }
  }

  #callHandler(key: string, handler: KeyHandler): void {
    const result: unknown = handler(this.#line.join(''), this.pos);
    if (result === true) {
      const chars = Array.from(key);
      if (chars.every(isPrintable)) this.#insert(chars);
      else this.#bell();
    } else if (Array.isArray(result) && typeof result[0] === 'string' && typeof result[1] === 'number') {
      const [text, pos] = result as [string, number];
      if (pos < 0) {
        this.#flush();
        this.#sink.deliverSignal?.(text);
      } else {
        this.#line = Array.from(text);
        this.#refresh(0, codePointIndex(text, Math.min(text.length, Math.trunc(pos))));
      }
    } else {
      this.#bell();
    }
  }

  // ---- editing ----

  #insert(chars: string[]): void {
    if (this.#maxLineLength > 0 && this.#line.length + chars.length > this.#maxLineLength) {
      this.#bell();
      chars = chars.slice(0, Math.max(0, this.#maxLineLength - this.#line.length));
    }
    if (chars.length === 0) return;
    const pos = this.#pos;
    this.#line.splice(pos, 0, ...chars);
    this.#refresh(pos, pos + chars.length);
  }

  #eraseRight(): void {
    if (this.#pos === this.#line.length) return this.#bell();
    this.#line.splice(this.#pos, 1);
    this.#refresh(this.#pos, this.#pos);
  }

  #enter(): void {
    const line = this.#line.join('');
    const rewrite = this.#visible() && !this.#wrap && (this.#left > 0 || this.#right < this.#line.length);
    if (rewrite) {
      // The line was scrolled: show it whole before leaving it.
      this.#screen.out += '\b'.repeat(this.#screen.column - this.#start) + line;
      this.#screen.column = this.#start;
      this.#screen.track(line);
    } else {
      this.#moveCursor(this.#line.length);
    }
    if (this.#lineEcho || rewrite) {
      // A line that ends exactly at the right margin already left the cursor on a fresh row.
      if (!this.#wrap || this.#screen.column === 0 || this.#screen.column % this.#screen.width !== 0) this.#screen.out += '\r\n';
      this.#screen.column = 0;
      this.#screen.pendingWrap = false;
      this.#resetLine();
    } else {
      this.#linePending = true;
    }
    if (this.#echo && this.#historySize > 0 && line !== '') {
      this.#history.push(line);
      if (this.#history.length > this.#historySize) this.#history.splice(0, this.#history.length - this.#historySize);
    }
    this.#historyIndex = this.#history.length;
    this.#draft = '';
    this.#flush();
    this.#sink.deliverLine(line + '\n');
  }

  /** Starts an empty line at the cursor. */
  #resetLine(): void {
    this.#line = [];
    this.#pos = 0;
    this.#left = this.#right = 0;
    this.#start = this.#drawnEnd = this.#screen.column;
  }

  /** With lineEcho off, the entered line stays on screen until something else happens. */
  #resetPendingLine(): void {
    if (!this.#linePending) return;
    this.#linePending = false;
    this.#eraseInput();
    this.#resetLine();
  }

  // ---- drawing ----

  #visible(): boolean {
    return this.#lineMode && this.#echo;
  }

  #bell(): void {
    if (!this.#bellRung) {
      this.#screen.out += '\x07';
      this.#bellRung = true;
    }
  }

  #flush(): void {
    this.#bellRung = false;
    const out = this.#screen.take();
    if (out !== '') this.#sink.write(out);
  }

  /** Linear column where the character at `pos` is drawn (or the line's end, for `pos === length`). */
  #columnOf(pos: number): number {
    return columnOf(this.#line, this.#start, pos, this.#screen.width);
  }

  /** Linear column where the character before `pos` ends (where redrawing from `pos` starts). */
  #columnAfter(pos: number): number {
    return pos === 0 ? this.#start : this.#columnOf(pos - 1) + charWidth(this.#line[pos - 1] ?? '');
  }

  /** The line changed from `from` on: redraws it from there and puts the cursor at `newPos`. */
  #refresh(from: number, newPos: number): void {
    if (!this.#visible()) {
      this.#pos = newPos;
      return;
    }
    if (!this.#wrap) {
      this.#pos = newPos;
      this.#drawWindow();
      return;
    }
    this.#screen.moveTo(this.#columnAfter(from));
    this.#screen.print(this.#line.slice(from));
    this.#screen.settle();
    if (this.#drawnEnd > this.#screen.column) this.#screen.out += ERASE_BELOW;
    this.#drawnEnd = this.#screen.column;
    this.#pos = newPos;
    this.#screen.moveTo(this.#columnOf(newPos));
  }

  #moveCursor(newPos: number): void {
    this.#pos = newPos;
    if (!this.#visible()) return;
    if (this.#wrap) this.#screen.moveTo(this.#columnOf(newPos));
    else this.#drawWindow();
  }

  /** Erases the input from the screen, leaving the cursor where it started. */
  #eraseInput(): void {
    if (this.#drawnEnd === this.#start && this.#screen.column === this.#start) return;
    if (this.#wrap) {
      this.#screen.moveTo(this.#start);
      this.#screen.out += ERASE_BELOW;
    } else {
      const span = this.#drawnEnd - this.#start;
      this.#screen.out += '\b'.repeat(this.#screen.column - this.#start) + ' '.repeat(span) + '\b'.repeat(span);
      this.#screen.column = this.#start;
    }
    this.#drawnEnd = this.#start;
  }

  /** Draws the input (erased beforehand) and puts the cursor at its position. */
  #drawInput(): void {
    if (!this.#visible() || this.#line.length === 0) return;
    if (this.#wrap) {
      this.#screen.print(this.#line);
      this.#screen.settle();
      this.#drawnEnd = this.#screen.column;
      this.#screen.moveTo(this.#columnOf(this.#pos));
    } else {
      this.#drawWindow();
    }
  }

  /** Non-ANSI terminals: redraws the visible part of the line, scrolled to show the cursor. */
  #drawWindow(): void {
    const line = this.#line;
    if (line.length > 0 && this.#start > 0 && this.#start > this.#screen.width - 2 && this.#drawnEnd === this.#start) {
      // Output left no room before the last column (which would wrap): start on a new row.
      this.#screen.out += '\b'.repeat(this.#screen.column - this.#start) + '\r\n';
      this.#screen.column = this.#start = this.#drawnEnd = 0;
    }
    const room = Math.max(1, this.#screen.width - 1 - this.#start);
    const widthOf = (from: number, to: number): number => {
      let w = 0;
      for (let i = from; i < to; i++) w += charWidth(line[i] ?? '');
      return w;
    };
    const pos = this.#pos;
    if (pos < this.#left) this.#left = pos;
    const through = Math.min(line.length, pos + 1);
    let used = widthOf(this.#left, through);
    while (used > room && this.#left < pos) used -= charWidth(line[this.#left++] ?? '');
    while (this.#left > 0 && used + charWidth(line[this.#left - 1] ?? '') <= room) used += charWidth(line[--this.#left] ?? '');
    let right = this.#left;
    let shown = 0;
    while (right < line.length && shown + charWidth(line[right] ?? '') <= room) shown += charWidth(line[right++] ?? '');
    this.#right = right;

    let out = '\b'.repeat(this.#screen.column - this.#start) + line.slice(this.#left, right).join('');
    this.#screen.column = this.#start + shown;
    if (this.#drawnEnd > this.#screen.column) {
      out += ' '.repeat(this.#drawnEnd - this.#screen.column);
      const end = this.#drawnEnd;
      this.#drawnEnd = this.#screen.column;
      this.#screen.column = end;
    } else {
      this.#drawnEnd = this.#screen.column;
    }
    const target = this.#start + widthOf(this.#left, pos);
    out += '\b'.repeat(this.#screen.column - target);
    this.#screen.column = target;
    this.#screen.out += out;
  }
}
