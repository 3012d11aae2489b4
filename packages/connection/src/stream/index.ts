/** Channel streams: SSHReader / SSHWriter over a ReadBuffer and a WriteSink. @module */
export { ConcurrentReadError, IncompleteReadError, LimitOverrunError, StreamDecodeError } from './errors.ts';
export { ReadBuffer, type DecodeErrors, type ReadBufferOptions, type TextStreamDecoder } from './read-buffer.ts';
export { DEFAULT_READ_LIMIT, SSHReader, type ExtraInfoLookup, type SSHReaderOptions } from './reader.ts';
export { SSHWriter, type EncodeErrors, type SSHWriterOptions, type WriteSink } from './writer.ts';
