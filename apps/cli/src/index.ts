/** @ssh/cli: the command-line programs, importable for embedding and tests. @module */
export { main, describeError, type RunIo } from './run.ts';
export { parseDestination, type Destination } from './destination.ts';
export { startEmbeddedServer, type EmbeddedServer } from './embedded.ts';
export { localShellFactory, type LocalShellOptions } from './local-shell.ts';
