/** @ssh/connection/node: Node stream adapters for SSHReader and SSHWriter. @module */
export { nodePump } from './socket-relay.ts';
export {
  readerToReadable,
  writerToWritable,
  pipeReadableToWriter,
  pipeReaderToWritable,
  type ReaderToReadableOptions,
  type WriterToWritableOptions,
  type PipeOptions,
  type PipeReaderOptions,
} from './streams.ts';
