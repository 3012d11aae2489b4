/**
 * The server-side input line editor (AsyncSSH's SSHLineEditor / SSHLineEditorChannel): echo and
 * line editing for sessions with a pseudo-terminal, sans-I/O.
 * @module
 */

export { LineEditor } from './editor.ts';
export {
  isAnsiTerminal,
  type KeyHandler,
  type KeyHandlerResult,
  type LineEditorOptions,
  type LineEditorSink,
} from './options.ts';
export { charWidth, isPrintable, stringWidth } from './width.ts';
