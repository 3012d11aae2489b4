/**
 * The line editor's options, its sink (where lines, data, EOF, breaks, signals and terminal
 * output go) and the contract of key handlers, after AsyncSSH's SSHLineEditorChannel
 * (`register_key`, `line_echo`, `line_history`, `max_line_length`).
 * @module
 */

/** Width assumed when the client reports 0 columns (AsyncSSH's default). */
export const DEFAULT_WIDTH = 80;

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

/** Options of a `LineEditor`; the defaults are AsyncSSH's. */
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
 * Where a `LineEditor` sends its results. Every call is made synchronously from inside the
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
