/**
 * @ssh/sftp: SFTP v3 to v6 over any byte stream. Packet codec, sans-I/O client machine, the
 * SFTPClient Promise API, and the SFTPServer hooks with a session driver. Node adapters (child
 * process / stream wrappers, the local file system, the local SFTP server) are in `@ssh/sftp/node`.
 * @module
 */

export * from './constants.ts';
export {
  SFTPError,
  SFTPEOFError,
  SFTPNoSuchFile,
  SFTPPermissionDenied,
  SFTPFailure,
  SFTPBadMessage,
  SFTPNoConnection,
  SFTPConnectionLost,
  SFTPOpUnsupported,
  SFTPInvalidHandle,
  SFTPNoSuchPath,
  SFTPFileAlreadyExists,
  SFTPWriteProtect,
  SFTPNoMedia,
  SFTPNoSpaceOnFilesystem,
  SFTPQuotaExceeded,
  SFTPUnknownPrincipal,
  SFTPLockConflict,
  SFTPDirNotEmpty,
  SFTPNotADirectory,
  SFTPInvalidFilename,
  SFTPLinkLoop,
  SFTPCannotDelete,
  SFTPInvalidParameter,
  SFTPFileIsADirectory,
  SFTPByteRangeLockConflict,
  SFTPByteRangeLockRefused,
  SFTPDeletePending,
  SFTPFileCorrupt,
  SFTPOwnerInvalid,
  SFTPGroupInvalid,
  SFTPNoMatchingByteRangeLock,
  statusForVersion,
} from './errors.ts';
export {
  type SFTPAttrs,
  type SFTPVFSAttrs,
  type SFTPName,
  type SFTPLimits,
  encodeAttrs,
  decodeAttrs,
  encodeVFSAttrs,
  decodeVFSAttrs,
  encodeLimits,
  decodeLimits,
  attrsType,
  typeFromPermissions,
  permissionsFromType,
} from './attrs.ts';
export {
  type ExtensionPair,
  type InitPacket,
  type SftpRequest,
  type SftpRequestKind,
  type SftpResponse,
  encodeInit,
  decodeInit,
  encodeRequest,
  WRITE_HEADROOM,
  decodeRequest,
  encodeResponse,
  decodeResponse,
  requestAllowed,
} from './packets.ts';
export { PacketFramer } from './framing.ts';
export { SftpClientMachine, type SftpClientEvent, type SftpClientMachineOptions, type SftpRequestBody } from './client-machine.ts';
export { type SftpByteStream, createMemoryPipe } from './stream.ts';
export { SFTPClient, startSftpClient, type SFTPClientOptions, type OpenOptions, type BinaryMode } from './client.ts';
export { modeToPflags, pflagsToV5 } from './open-flags.ts';
export { SFTPClientFile, type ReadBlock } from './client-file.ts';
export { type TransferOptions, type ProgressHandler, checkRemoteName, localGlob } from './transfer.ts';
export { type LocalFs, type LocalFile } from './local-fs.ts';
export { joinPath, basename, dirname, normalizePath, globMatch } from './paths.ts';
export { SFTPServer, type ServerFile, type MaybePromise, modeString } from './server.ts';
export { ByteRangeLocks } from './locks.ts';
export { SftpServerSession, runSftpServer, type SftpServerOptions } from './server-session.ts';
export {
  type VendorId,
  type SupportedInfo,
  parseVendorId,
  encodeVendorId,
  parseVersions,
  parseSupported,
  parseSupported2,
  encodeSupported,
  encodeSupported2,
} from './extensions.ts';
export {
  ScpError,
  type ScpDirective,
  type ScpSinkEvent,
  type ScpSinkOptions,
  ScpSinkMachine,
  ScpAckReader,
  encodeDirective,
  parseDirective,
  checkScpName,
  encodeScpError,
  SCP_OK,
  SCP_MAX_LINE,
  SCP_MAX_DEPTH,
} from './scp.ts';
export { scpSend, scpReceive, type ScpOptions, type ScpReceiveOptions } from './scp-transfer.ts';
export { sftpServerFs } from './server-fs.ts';
export { runScpServer, parseScpCommand, splitCommand, type ScpCommand, type ScpServerOptions } from './scp-server.ts';
