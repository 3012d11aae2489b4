/**
 * A sans-I/O input line editor for server sessions with a pseudo-terminal, after AsyncSSH's
 * SSHLineEditor: it echoes what the user types, lets them edit the line (cursor keys, history,
 * erase, yank) and hands the session whole lines; output the application writes meanwhile is
 * placed above the line being typed. No I/O and no timers: the channel feeds `processInput()`
 * with the decoded input and writes what the sink's `write()` receives.
 * @module
 */

import { DEFAULT_KEYS, classifySequence, type EditAction } from './keys.ts';
import { charWidth, isPrintable } from './width.ts';

/** Width assumed when the client reports 0 columns (AsyncSSH's default). */
const DEFAULT_WIDTH = 80;

/**
 * Terminal types that understand ANSI cursor movement (CSI A/B/C/D) and erasure (CSI J): on
 * those the input wraps over several rows; on others (`dumb`, unknown types) it scrolls
 * horizontally within one row, using only backspace. AsyncSSH's list, plus the families of
 * today's terminals (`tmux-256color`, `xterm-kitty`, `alacritty`, ...).
 */
const ANSI_TERMINAL =
  /^(?:ansi|cygwin|linux|putty|screen|tmux|teraterm|cit80|vt[1-5]\d\d|xterm|rxvt|alacritty|kitty|foot|st|konsole|gnome|wezterm|iterm2?|contour|eterm|mintty|vte|ms-terminal)(?:[-.+].*)?$/i;

/** Whether the line editor treats `termType` as an ANSI terminal (multi-row wrapping). */
export function isAnsiTerminal(termType: string): boolean {
  return ANSI_TERMINAL.test(termType);
}

/** Options of a {@link LineEditor}; the defaults are AsyncSSH's. */
export interface LineEditorOptions {
  /** The terminal type of the pty request (`TERM`), which decides wrapping; see {@link isAnsiTerminal}. */
  readonly termType: string;
  /** Terminal width in columns; 0 means 80. */
  readonly width: number;
  /** Terminal height in rows (kept for the application; the editor does not need it). */
  readonly height?: number;
  /** Lines of input history kept (AsyncSSH `line_history`): default 1000, 0 keeps none. */
  readonly lineHistory?: number;
  /** Most characters in an input line (AsyncSSH `max_line_length`): default 1024, 0 for no limit. */
  readonly maxLineLength?: number;
  /** Echo input as it is typed: default true. */
  readonly echo?: boolean;
  /** Edit input a line at a time: default true; when false input goes straight to `deliverData`. */
  readonly lineMode?: boolean;
  /**
   * Move to a new row when a line is entered (AsyncSSH `line_echo`, default true). When false the
   * entered line stays on screen until the next input or output; output that starts with the
   * line's text is taken as the application's own echo of it.
   */
  readonly lineEcho?: boolean;
}

/**
 * Where a {@link LineEditor} sends its results. Every call is made synchronously from inside the
 * editor method that caused it; terminal output is always passed to `write()` before a delivery
 * that follows it, so output written from inside a delivery comes out in order.
 */
export interface LineEditorSink {
  /** Text for the terminal (the channel's stdout): echo, cursor movement, bells, application output. */
  write(text: string): void;
  /** A finished input line, ending in `'\n'` (AsyncSSH `data_received`). */
  deliverLine(line: string): void;
  /**
   * Input passed through unedited: everything while line mode is off, and the partial line when
   * line mode is turned off (AsyncSSH `data_received`).
   */
  deliverData(text: string): void;
  /** ^D on an empty line (AsyncSSH `soft_eof_received`: the channel stays open). */
  deliverEof?(): void;
  /** ^C or the Break key (`ESC [ 3 3 ~`), AsyncSSH `break_received(0)`. */
  deliverBreak?(msec: number): void;
  /** A registered key's handler returned `[name, negative]` (AsyncSSH `signal_received`). */
  deliverSignal?(name: string): void;
}

/**
 * The result of a {@link KeyHandler}, per AsyncSSH's `register_key`:
 * - `[line, pos]` with `pos >= 0`: the new input line and cursor position (a UTF-16 index into `line`);
 * - `[signal, pos]` with `pos < 0`: deliver the signal named `signal`, leaving the input as it is;
 * - `true`: a printable key is inserted as if it had no handler (a non-printable one rings the bell);
 * - `false`: ring the bell and leave the input as it is.
 */
export type KeyHandlerResult = boolean | readonly [line: string, pos: number];

/** Called with the current input line and cursor position (a UTF-16 index into `line`). */
export type KeyHandler = (line: string, pos: number) => KeyHandlerResult;

type Binding = { readonly action: EditAction } | { readonly handler: KeyHandler };

const CSI = '\x1b[';
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
export class LineEditor {
  readonly #sink: LineEditorSink;
  readonly #historySize: number;
  readonly #maxLineLength: number;
  readonly #lineEcho: boolean;
  #wrap: boolean;
  #width: number;
  #height: number;
  #echo: boolean;
  #lineMode: boolean;

  /** The input line, one code point per element, and the cursor's index in it. */
  #line: string[] = [];
  #pos = 0;

  // Screen model. Columns are "linear": row * width + column, counted from column 0 of the row on
  // which the current output line began (the last '\n').
  /** Where the input starts. */
  #start = 0;
  /** Where the terminal's cursor is. */
  #cursor = 0;
  /** The cursor sits past the last column, waiting to wrap (the terminal's pending-wrap state). */
  #pendingWrap = false;
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

  #out = '';
  #bellRung = false;

  constructor(options: LineEditorOptions, sink: LineEditorSink) {
    this.#sink = sink;
    this.#wrap = isAnsiTerminal(options.termType);
    this.#width = options.width > 0 ? Math.floor(options.width) : DEFAULT_WIDTH;
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
    return [this.#width, this.#height];
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
   * Writes application output to the terminal. In line mode, `'\n'` becomes `'\r\n'` and the
   * input being typed is erased first and redrawn after the output, on the row where the output
   * ends. With line mode off the text is written unchanged.
   */
  writeOutput(text: string): void {
    if (!this.#lineMode) {
      this.#out += text;
      this.#track(text);
      this.#start = this.#drawnEnd = this.#cursor;
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
    const converted = text.replace(/(?<!\r)\n/g, '\r\n');
    this.#eraseInput();
    this.#out += converted;
    this.#track(converted);
    this.#settle();
    if (!this.#wrap) this.#cursor %= this.#width;
    this.#start = this.#drawnEnd = this.#cursor;
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
      this.#settle();
      if (!this.#wrap) this.#cursor %= this.#width;
      this.#start = this.#drawnEnd = this.#cursor;
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
    this.#width = width > 0 ? Math.floor(width) : DEFAULT_WIDTH;
    if (height !== undefined) this.#height = height;
    if (this.#visible() && this.#drawnEnd !== this.#start) {
      // The terminal re-flows the rows: the cursor stays where it was within the text.
      if (this.#wrap) this.#cursor = this.#columnOf(this.#pos);
      this.#pendingWrap = false;
      this.#eraseInput();
      this.#drawInput();
    } else if (!this.#wrap) {
      this.#cursor %= this.#width;
      this.#start = this.#drawnEnd = this.#cursor;
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
      this.#out += '\b'.repeat(this.#cursor - this.#start) + line;
      this.#cursor = this.#start;
      this.#track(line);
    } else {
      this.#moveCursor(this.#line.length);
    }
    if (this.#lineEcho || rewrite) {
      // A line that ends exactly at the right margin already left the cursor on a fresh row.
      if (!this.#wrap || this.#cursor === 0 || this.#cursor % this.#width !== 0) this.#out += '\r\n';
      this.#cursor = 0;
      this.#pendingWrap = false;
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
    this.#start = this.#drawnEnd = this.#cursor;
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
      this.#out += '\x07';
      this.#bellRung = true;
    }
  }

  #flush(): void {
    this.#bellRung = false;
    if (this.#out === '') return;
    const out = this.#out;
    this.#out = '';
    this.#sink.write(out);
  }

  /** Linear column where the character at `pos` is drawn (or the line's end, for `pos === length`). */
  #columnOf(pos: number): number {
    const width = this.#width;
    let column = this.#start;
    for (let i = 0; i <= pos && i < this.#line.length; i++) {
      const w = charWidth(this.#line[i] ?? '');
      // A wide character never starts in the last column: the terminal moves it to the next row.
      if (w === 2 && column % width === width - 1) column++;
      if (i < pos) column += w;
    }
    return column;
  }

  /** Linear column where the character before `pos` ends (where redrawing from `pos` starts). */
  #columnAfter(pos: number): number {
    return pos === 0 ? this.#start : this.#columnOf(pos - 1) + charWidth(this.#line[pos - 1] ?? '');
  }

  /** Moves the terminal's cursor to a linear column (ANSI terminals). */
  #moveTo(column: number): void {
    const width = this.#width;
    const rows = Math.floor(column / width) - Math.floor(this.#cursor / width);
    const cols = (column % width) - (this.#cursor % width);
    if (rows < 0) this.#out += `${CSI}${-rows}A`;
    else if (rows > 0) this.#out += `${CSI}${rows}B`;
    if (cols > 0) this.#out += `${CSI}${cols}C`;
    else if (cols < 0) this.#out += `${CSI}${-cols}D`;
    this.#cursor = column;
    this.#pendingWrap = false;
  }

  /** Writes input characters at the cursor (ANSI terminals). */
  #emitChars(chars: readonly string[]): void {
    const width = this.#width;
    let out = '';
    for (const ch of chars) {
      const w = charWidth(ch);
      if (w === 0) {
        out += ch;
        continue;
      }
      if (w === 2 && this.#cursor % width === width - 1 && !this.#pendingWrap) {
        out += ' ';
        this.#cursor++;
      }
      out += ch;
      this.#cursor += w;
      this.#pendingWrap = this.#cursor % width === 0;
    }
    this.#out += out;
  }

  /** Leaves the pending-wrap state by wrapping for real, so that cursor movement is exact. */
  #settle(): void {
    if (this.#pendingWrap) {
      this.#out += ' \b';
      this.#pendingWrap = false;
    }
  }

  /** Follows the cursor through output text (escape sequences count for nothing). */
  #track(text: string): void {
    const width = this.#width;
    const chars = Array.from(text);
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i] ?? '';
      const code = ch.codePointAt(0) ?? 0;
      if (code === 0x1b) {
        const kind = chars[i + 1];
        i++;
        if (kind === '[') {
          while (i + 1 < chars.length) {
            const c = (chars[++i] ?? '').codePointAt(0) ?? 0;
            if (c >= 0x40 && c <= 0x7e) break;
          }
        } else if (kind === ']') {
          while (i + 1 < chars.length) {
            const c = chars[++i];
            if (c === '\x07') break;
            if (c === '\x1b' && chars[i + 1] === '\\') {
              i++;
              break;
            }
          }
        }
        continue;
      }
      const rowStart = this.#pendingWrap ? this.#cursor - width : this.#cursor - (this.#cursor % width);
      const column = this.#pendingWrap ? width - 1 : this.#cursor % width;
      if (ch === '\r') {
        this.#cursor = rowStart;
      } else if (ch === '\n') {
        this.#cursor = column;
      } else if (ch === '\b') {
        this.#cursor = rowStart + Math.max(0, column - 1);
      } else if (ch === '\t') {
        this.#cursor = rowStart + Math.min(width - 1, (Math.floor(column / 8) + 1) * 8);
      } else if (isPrintable(ch)) {
        this.#emitWidth(ch);
        continue;
      } else {
        continue;
      }
      this.#pendingWrap = false;
    }
  }

  #emitWidth(ch: string): void {
    const width = this.#width;
    const w = charWidth(ch);
    if (w === 0) return;
    if (w === 2 && this.#cursor % width === width - 1 && !this.#pendingWrap) this.#cursor++;
    this.#cursor += w;
    this.#pendingWrap = this.#cursor % width === 0;
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
    this.#moveTo(this.#columnAfter(from));
    this.#emitChars(this.#line.slice(from));
    this.#settle();
    if (this.#drawnEnd > this.#cursor) this.#out += ERASE_BELOW;
    this.#drawnEnd = this.#cursor;
    this.#pos = newPos;
    this.#moveTo(this.#columnOf(newPos));
  }

  #moveCursor(newPos: number): void {
    this.#pos = newPos;
    if (!this.#visible()) return;
    if (this.#wrap) this.#moveTo(this.#columnOf(newPos));
    else this.#drawWindow();
  }

  /** Erases the input from the screen, leaving the cursor where it started. */
  #eraseInput(): void {
    if (this.#drawnEnd === this.#start && this.#cursor === this.#start) return;
    if (this.#wrap) {
      this.#moveTo(this.#start);
      this.#out += ERASE_BELOW;
    } else {
      const span = this.#drawnEnd - this.#start;
      this.#out += '\b'.repeat(this.#cursor - this.#start) + ' '.repeat(span) + '\b'.repeat(span);
      this.#cursor = this.#start;
    }
    this.#drawnEnd = this.#start;
  }

  /** Draws the input (erased beforehand) and puts the cursor at its position. */
  #drawInput(): void {
    if (!this.#visible() || this.#line.length === 0) return;
    if (this.#wrap) {
      this.#emitChars(this.#line);
      this.#settle();
      this.#drawnEnd = this.#cursor;
      this.#moveTo(this.#columnOf(this.#pos));
    } else {
      this.#drawWindow();
    }
  }

  /** Non-ANSI terminals: redraws the visible part of the line, scrolled to show the cursor. */
  #drawWindow(): void {
    const line = this.#line;
    const room = Math.max(1, this.#width - 1 - this.#start);
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

    let out = '\b'.repeat(this.#cursor - this.#start) + line.slice(this.#left, right).join('');
    this.#cursor = this.#start + shown;
    if (this.#drawnEnd > this.#cursor) {
      out += ' '.repeat(this.#drawnEnd - this.#cursor);
      const end = this.#drawnEnd;
      this.#drawnEnd = this.#cursor;
      this.#cursor = end;
    } else {
      this.#drawnEnd = this.#cursor;
    }
    const target = this.#start + widthOf(this.#left, pos);
    out += '\b'.repeat(this.#cursor - target);
    this.#cursor = target;
    this.#out += out;
  }
}
