/**
 * SFTP errors: one class per status code of filexfer-13 §9.1, all under `SFTPError`.
 *
 * `status` is the numeric SSH_FX_* code, `reason` the server's message and `lang` its language
 * tag; `code` (from SshError) is the stable string `SSH_ERR_SFTP_<NAME>`. `SFTPError.fromCode()`
 * builds the right subclass for a status, and `SFTPError.construct()` is its alias in the
 * AsyncSSH spelling. Decoding failures stay `WireError`s (from @ssh/wire).
 * @module
 */

import { SshError } from '@ssh/wire';
import { FX, FX_MAX_CODE_BY_VERSION } from './constants.ts';

/** An SFTP request failed with a status code (or the session failed). */
export class SFTPError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPError');

  /** The SSH_FX_* status code. */
  readonly status: number;
  /** The server's explanation (may be empty). */
  readonly reason: string;
  /** Language tag of `reason` (RFC 3066), usually empty or "en". */
  readonly lang: string;
  /** In get/put/copy and their m* forms: the source of the file that failed (AsyncSSH's srcpath). */
  declare readonly srcPath?: string;
  /** In get/put/copy and their m* forms: the destination of the file that failed (AsyncSSH's dstpath). */
  declare readonly dstPath?: string;

  constructor(status: number, reason: string, lang = '', options?: { cause?: unknown }) {
    super(`SSH_ERR_SFTP_${codeName(status)}`, reason === '' ? `sftp status ${status} (${codeName(status).toLowerCase()})` : reason, options);
    this.status = status;
    this.reason = reason;
    this.lang = lang;
  }

  /** The subclass of SFTPError that stands for `status` (SFTPError itself for unknown codes). */
  static fromCode(status: number, reason = '', lang = '', options?: { cause?: unknown }): SFTPError {
    const Cls = ERROR_CLASSES[status];
    return Cls ? new Cls(reason, lang, options) : new SFTPError(status, reason, lang, options);
  }

  /** Alias of fromCode, named as AsyncSSH names it. */
  static construct(status: number, reason = '', lang = ''): SFTPError {
    return SFTPError.fromCode(status, reason, lang);
  }
}

function codeName(status: number): string {
  for (const [name, value] of Object.entries(FX)) if (value === status) return name;
  return `STATUS_${status >>> 0}`;
}

type SubclassCtor = new (reason?: string, lang?: string, options?: { cause?: unknown }) => SFTPError;

/* Each class below fixes its status code. Written out one by one so that each has its own brand. */

/** FX_EOF (1): end of file or of a directory listing. */
export class SFTPEOFError extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPEOFError');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.EOF, reason, lang, options);
  }
}
/** FX_NO_SUCH_FILE (2) */
export class SFTPNoSuchFile extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPNoSuchFile');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.NO_SUCH_FILE, reason, lang, options);
  }
}
/** FX_PERMISSION_DENIED (3) */
export class SFTPPermissionDenied extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPPermissionDenied');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.PERMISSION_DENIED, reason, lang, options);
  }
}
/** FX_FAILURE (4) */
export class SFTPFailure extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPFailure');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.FAILURE, reason, lang, options);
  }
}
/** FX_BAD_MESSAGE (5): a malformed packet. */
export class SFTPBadMessage extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPBadMessage');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.BAD_MESSAGE, reason, lang, options);
  }
}
/** FX_NO_CONNECTION (6): the session is not (or no longer) open. */
export class SFTPNoConnection extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPNoConnection');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.NO_CONNECTION, reason, lang, options);
  }
}
/** FX_CONNECTION_LOST (7): the byte stream ended or failed with requests outstanding. */
export class SFTPConnectionLost extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPConnectionLost');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.CONNECTION_LOST, reason, lang, options);
  }
}
/** FX_OP_UNSUPPORTED (8) */
export class SFTPOpUnsupported extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPOpUnsupported');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.OP_UNSUPPORTED, reason, lang, options);
  }
}
/** FX_INVALID_HANDLE (9, v4+) */
export class SFTPInvalidHandle extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPInvalidHandle');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.INVALID_HANDLE, reason, lang, options);
  }
}
/** FX_NO_SUCH_PATH (10, v4+) */
export class SFTPNoSuchPath extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPNoSuchPath');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.NO_SUCH_PATH, reason, lang, options);
  }
}
/** FX_FILE_ALREADY_EXISTS (11, v4+) */
export class SFTPFileAlreadyExists extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPFileAlreadyExists');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.FILE_ALREADY_EXISTS, reason, lang, options);
  }
}
/** FX_WRITE_PROTECT (12, v4+) */
export class SFTPWriteProtect extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPWriteProtect');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.WRITE_PROTECT, reason, lang, options);
  }
}
/** FX_NO_MEDIA (13, v4+) */
export class SFTPNoMedia extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPNoMedia');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.NO_MEDIA, reason, lang, options);
  }
}
/** FX_NO_SPACE_ON_FILESYSTEM (14, v5+) */
export class SFTPNoSpaceOnFilesystem extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPNoSpaceOnFilesystem');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.NO_SPACE_ON_FILESYSTEM, reason, lang, options);
  }
}
/** FX_QUOTA_EXCEEDED (15, v5+) */
export class SFTPQuotaExceeded extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPQuotaExceeded');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.QUOTA_EXCEEDED, reason, lang, options);
  }
}
/** FX_UNKNOWN_PRINCIPAL (16, v5+) */
export class SFTPUnknownPrincipal extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPUnknownPrincipal');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.UNKNOWN_PRINCIPAL, reason, lang, options);
  }
}
/** FX_LOCK_CONFLICT (17, v5+) */
export class SFTPLockConflict extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPLockConflict');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.LOCK_CONFLICT, reason, lang, options);
  }
}
/** FX_DIR_NOT_EMPTY (18, v6) */
export class SFTPDirNotEmpty extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPDirNotEmpty');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.DIR_NOT_EMPTY, reason, lang, options);
  }
}
/** FX_NOT_A_DIRECTORY (19, v6) */
export class SFTPNotADirectory extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPNotADirectory');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.NOT_A_DIRECTORY, reason, lang, options);
  }
}
/** FX_INVALID_FILENAME (20, v6) */
export class SFTPInvalidFilename extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPInvalidFilename');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.INVALID_FILENAME, reason, lang, options);
  }
}
/** FX_LINK_LOOP (21, v6) */
export class SFTPLinkLoop extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPLinkLoop');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.LINK_LOOP, reason, lang, options);
  }
}
/** FX_CANNOT_DELETE (22, v6) */
export class SFTPCannotDelete extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPCannotDelete');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.CANNOT_DELETE, reason, lang, options);
  }
}
/** FX_INVALID_PARAMETER (23, v6) */
export class SFTPInvalidParameter extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPInvalidParameter');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.INVALID_PARAMETER, reason, lang, options);
  }
}
/** FX_FILE_IS_A_DIRECTORY (24, v6) */
export class SFTPFileIsADirectory extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPFileIsADirectory');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.FILE_IS_A_DIRECTORY, reason, lang, options);
  }
}
/** FX_BYTE_RANGE_LOCK_CONFLICT (25, v6) */
export class SFTPByteRangeLockConflict extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPByteRangeLockConflict');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.BYTE_RANGE_LOCK_CONFLICT, reason, lang, options);
  }
}
/** FX_BYTE_RANGE_LOCK_REFUSED (26, v6) */
export class SFTPByteRangeLockRefused extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPByteRangeLockRefused');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.BYTE_RANGE_LOCK_REFUSED, reason, lang, options);
  }
}
/** FX_DELETE_PENDING (27, v6) */
export class SFTPDeletePending extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPDeletePending');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.DELETE_PENDING, reason, lang, options);
  }
}
/** FX_FILE_CORRUPT (28, v6) */
export class SFTPFileCorrupt extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPFileCorrupt');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.FILE_CORRUPT, reason, lang, options);
  }
}
/** FX_OWNER_INVALID (29, v6) */
export class SFTPOwnerInvalid extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPOwnerInvalid');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.OWNER_INVALID, reason, lang, options);
  }
}
/** FX_GROUP_INVALID (30, v6) */
export class SFTPGroupInvalid extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPGroupInvalid');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.GROUP_INVALID, reason, lang, options);
  }
}
/** FX_NO_MATCHING_BYTE_RANGE_LOCK (31, v6) */
export class SFTPNoMatchingByteRangeLock extends SFTPError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SFTPNoMatchingByteRangeLock');
  constructor(reason = '', lang = '', options?: { cause?: unknown }) {
    super(FX.NO_MATCHING_BYTE_RANGE_LOCK, reason, lang, options);
  }
}

const ERROR_CLASSES: Readonly<Record<number, SubclassCtor>> = {
  [FX.EOF]: SFTPEOFError,
  [FX.NO_SUCH_FILE]: SFTPNoSuchFile,
  [FX.PERMISSION_DENIED]: SFTPPermissionDenied,
  [FX.FAILURE]: SFTPFailure,
  [FX.BAD_MESSAGE]: SFTPBadMessage,
  [FX.NO_CONNECTION]: SFTPNoConnection,
  [FX.CONNECTION_LOST]: SFTPConnectionLost,
  [FX.OP_UNSUPPORTED]: SFTPOpUnsupported,
  [FX.INVALID_HANDLE]: SFTPInvalidHandle,
  [FX.NO_SUCH_PATH]: SFTPNoSuchPath,
  [FX.FILE_ALREADY_EXISTS]: SFTPFileAlreadyExists,
  [FX.WRITE_PROTECT]: SFTPWriteProtect,
  [FX.NO_MEDIA]: SFTPNoMedia,
  [FX.NO_SPACE_ON_FILESYSTEM]: SFTPNoSpaceOnFilesystem,
  [FX.QUOTA_EXCEEDED]: SFTPQuotaExceeded,
  [FX.UNKNOWN_PRINCIPAL]: SFTPUnknownPrincipal,
  [FX.LOCK_CONFLICT]: SFTPLockConflict,
  [FX.DIR_NOT_EMPTY]: SFTPDirNotEmpty,
  [FX.NOT_A_DIRECTORY]: SFTPNotADirectory,
  [FX.INVALID_FILENAME]: SFTPInvalidFilename,
  [FX.LINK_LOOP]: SFTPLinkLoop,
  [FX.CANNOT_DELETE]: SFTPCannotDelete,
  [FX.INVALID_PARAMETER]: SFTPInvalidParameter,
  [FX.FILE_IS_A_DIRECTORY]: SFTPFileIsADirectory,
  [FX.BYTE_RANGE_LOCK_CONFLICT]: SFTPByteRangeLockConflict,
  [FX.BYTE_RANGE_LOCK_REFUSED]: SFTPByteRangeLockRefused,
  [FX.DELETE_PENDING]: SFTPDeletePending,
  [FX.FILE_CORRUPT]: SFTPFileCorrupt,
  [FX.OWNER_INVALID]: SFTPOwnerInvalid,
  [FX.GROUP_INVALID]: SFTPGroupInvalid,
  [FX.NO_MATCHING_BYTE_RANGE_LOCK]: SFTPNoMatchingByteRangeLock,
};

/**
 * The status code to send for an error in a session of `version`: codes it lacks become FAILURE,
 * except NOT_A_DIRECTORY, NO_SUCH_FILE before v6 (as OpenSSH's sftp-server answers ENOTDIR and
 * AsyncSSH downgrades it): a client probing `file/` or `file/x` sees that nothing is there.
 */
export function statusForVersion(status: number, version: number): number {
  if (status === FX.NOT_A_DIRECTORY && version < 6) return FX.NO_SUCH_FILE;
  const max = FX_MAX_CODE_BY_VERSION[Math.min(6, Math.max(3, version))] ?? FX.OP_UNSUPPORTED;
  return status <= max ? status : FX.FAILURE;
}
