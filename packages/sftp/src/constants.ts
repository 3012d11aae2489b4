/**
 * SFTP numbers: packet types, status codes, attribute flags, file types, open flags and ACE masks.
 * draft-ietf-secsh-filexfer-02 (v3), -04 (v4), -05 (v5), -13 (v6); OpenSSH PROTOCOL §4 (extensions).
 * @module
 */

/** Lowest and highest protocol versions this package speaks. */
export const SFTP_MIN_VERSION = 3;
export const SFTP_MAX_VERSION = 6;

/** Packet types. filexfer-13 §4.3 (SYMLINK is v3-v5, LINK/BLOCK/UNBLOCK are v6). */
export const FXP = {
  INIT: 1,
  VERSION: 2,
  OPEN: 3,
  CLOSE: 4,
  READ: 5,
  WRITE: 6,
  LSTAT: 7,
  FSTAT: 8,
  SETSTAT: 9,
  FSETSTAT: 10,
  OPENDIR: 11,
  READDIR: 12,
  REMOVE: 13,
  MKDIR: 14,
  RMDIR: 15,
  REALPATH: 16,
  STAT: 17,
  RENAME: 18,
  READLINK: 19,
  SYMLINK: 20,
  LINK: 21,
  BLOCK: 22,
  UNBLOCK: 23,
  STATUS: 101,
  HANDLE: 102,
  DATA: 103,
  NAME: 104,
  ATTRS: 105,
  EXTENDED: 200,
  EXTENDED_REPLY: 201,
} as const;

/** Status codes. filexfer-13 §9.1; the minimum version of each is in the spec table. */
export const FX = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
  INVALID_HANDLE: 9,
  NO_SUCH_PATH: 10,
  FILE_ALREADY_EXISTS: 11,
  WRITE_PROTECT: 12,
  NO_MEDIA: 13,
  NO_SPACE_ON_FILESYSTEM: 14,
  QUOTA_EXCEEDED: 15,
  UNKNOWN_PRINCIPAL: 16,
  LOCK_CONFLICT: 17,
  DIR_NOT_EMPTY: 18,
  NOT_A_DIRECTORY: 19,
  INVALID_FILENAME: 20,
  LINK_LOOP: 21,
  CANNOT_DELETE: 22,
  INVALID_PARAMETER: 23,
  FILE_IS_A_DIRECTORY: 24,
  BYTE_RANGE_LOCK_CONFLICT: 25,
  BYTE_RANGE_LOCK_REFUSED: 26,
  DELETE_PENDING: 27,
  FILE_CORRUPT: 28,
  OWNER_INVALID: 29,
  GROUP_INVALID: 30,
  NO_MATCHING_BYTE_RANGE_LOCK: 31,
} as const;

/** Highest status code each version defines (codes above it are sent as FAILURE). */
export const FX_MAX_CODE_BY_VERSION: Readonly<Record<number, number>> = { 3: 8, 4: 13, 5: 17, 6: 31 };

/** Attribute flags. filexfer-02 §5 (v3) and filexfer-13 §7.1 (v4-v6). */
export const ATTR = {
  SIZE: 0x0000_0001,
  /** v3 only: uid and gid. */
  UIDGID: 0x0000_0002,
  PERMISSIONS: 0x0000_0004,
  /** v3: atime and mtime as uint32; v4+: ACCESSTIME. */
  ACMODTIME: 0x0000_0008,
  ACCESSTIME: 0x0000_0008,
  CREATETIME: 0x0000_0010,
  MODIFYTIME: 0x0000_0020,
  ACL: 0x0000_0040,
  OWNERGROUP: 0x0000_0080,
  SUBSECOND_TIMES: 0x0000_0100,
  /** v5+ */
  BITS: 0x0000_0200,
  /** v6 */
  ALLOCATION_SIZE: 0x0000_0400,
  TEXT_HINT: 0x0000_0800,
  MIME_TYPE: 0x0000_1000,
  LINK_COUNT: 0x0000_2000,
  UNTRANSLATED_NAME: 0x0000_4000,
  CTIME: 0x0000_8000,
  EXTENDED: 0x8000_0000,
} as const;

/** The attribute flags each version defines. */
export const ATTR_VALID_BY_VERSION: Readonly<Record<number, number>> = {
  3: (ATTR.SIZE | ATTR.UIDGID | ATTR.PERMISSIONS | ATTR.ACMODTIME | ATTR.EXTENDED) >>> 0,
  4:
    (ATTR.SIZE | ATTR.PERMISSIONS | ATTR.ACCESSTIME | ATTR.CREATETIME | ATTR.MODIFYTIME | ATTR.ACL | ATTR.OWNERGROUP | ATTR.SUBSECOND_TIMES | ATTR.EXTENDED) >>> 0,
  5:
    (ATTR.SIZE |
      ATTR.PERMISSIONS |
      ATTR.ACCESSTIME |
      ATTR.CREATETIME |
      ATTR.MODIFYTIME |
      ATTR.ACL |
      ATTR.OWNERGROUP |
      ATTR.SUBSECOND_TIMES |
      ATTR.BITS |
      ATTR.EXTENDED) >>>
    0,
  6: 0x8000_fffd,
};

/** File types carried in the v4+ attributes' `type` byte. filexfer-13 §7.2. */
export const FILEXFER_TYPE = {
  REGULAR: 1,
  DIRECTORY: 2,
  SYMLINK: 3,
  SPECIAL: 4,
  UNKNOWN: 5,
  SOCKET: 6,
  CHAR_DEVICE: 7,
  BLOCK_DEVICE: 8,
  FIFO: 9,
} as const;

/** POSIX file type bits of `permissions` (S_IFMT and friends). */
export const S_IF = {
  MT: 0o170000,
  SOCK: 0o140000,
  LNK: 0o120000,
  REG: 0o100000,
  BLK: 0o060000,
  DIR: 0o040000,
  CHR: 0o020000,
  IFO: 0o010000,
} as const;

/** Open flags of v3/v4 (pflags). filexfer-02 §6.3; TEXT is v4. */
export const FXF = {
  READ: 0x01,
  WRITE: 0x02,
  APPEND: 0x04,
  CREAT: 0x08,
  TRUNC: 0x10,
  EXCL: 0x20,
  TEXT: 0x40,
} as const;

/** Open flags of v5/v6. filexfer-13 §8.1.1.3. */
export const FXF56 = {
  ACCESS_DISPOSITION: 0x0000_0007,
  CREATE_NEW: 0x0000_0000,
  CREATE_TRUNCATE: 0x0000_0001,
  OPEN_EXISTING: 0x0000_0002,
  OPEN_OR_CREATE: 0x0000_0003,
  TRUNCATE_EXISTING: 0x0000_0004,
  APPEND_DATA: 0x0000_0008,
  APPEND_DATA_ATOMIC: 0x0000_0010,
  TEXT_MODE: 0x0000_0020,
  BLOCK_READ: 0x0000_0040,
  BLOCK_WRITE: 0x0000_0080,
  BLOCK_DELETE: 0x0000_0100,
  BLOCK_ADVISORY: 0x0000_0200,
  NOFOLLOW: 0x0000_0400,
  DELETE_ON_CLOSE: 0x0000_0800,
  ACCESS_AUDIT_ALARM_INFO: 0x0000_1000,
  ACCESS_BACKUP: 0x0000_2000,
  BACKUP_STREAM: 0x0000_4000,
  OVERRIDE_OWNER: 0x0000_8000,
} as const;

/** ACE access mask bits, used as the v5/v6 OPEN desired-access. filexfer-13 §7.8. */
export const ACE4 = {
  READ_DATA: 0x0000_0001,
  LIST_DIRECTORY: 0x0000_0001,
  WRITE_DATA: 0x0000_0002,
  ADD_FILE: 0x0000_0002,
  APPEND_DATA: 0x0000_0004,
  ADD_SUBDIRECTORY: 0x0000_0004,
  READ_NAMED_ATTRS: 0x0000_0008,
  WRITE_NAMED_ATTRS: 0x0000_0010,
  EXECUTE: 0x0000_0020,
  DELETE_CHILD: 0x0000_0040,
  READ_ATTRIBUTES: 0x0000_0080,
  WRITE_ATTRIBUTES: 0x0000_0100,
  DELETE: 0x0001_0000,
  READ_ACL: 0x0002_0000,
  WRITE_ACL: 0x0004_0000,
  WRITE_OWNER: 0x0008_0000,
  SYNCHRONIZE: 0x0010_0000,
} as const;

/** RENAME flags of v5/v6. filexfer-13 §8.3. */
export const FXR = {
  OVERWRITE: 0x1,
  ATOMIC: 0x2,
  NATIVE: 0x4,
} as const;

/** REALPATH control byte of v6. filexfer-13 §8.9. */
export const FXRP = {
  NO_CHECK: 0x01,
  STAT_IF: 0x02,
  STAT_ALWAYS: 0x03,
} as const;

/** attrib-bits of v5/v6. filexfer-13 §7.9. */
export const ATTR_BITS = {
  READONLY: 0x0001,
  SYSTEM: 0x0002,
  HIDDEN: 0x0004,
  CASE_INSENSITIVE: 0x0008,
  ARCHIVE: 0x0010,
  ENCRYPTED: 0x0020,
  COMPRESSED: 0x0040,
  SPARSE: 0x0080,
  APPEND_ONLY: 0x0100,
  IMMUTABLE: 0x0200,
  SYNC: 0x0400,
  TRANSLATION_ERR: 0x0800,
} as const;

/** statvfs@openssh.com f_flag bits. OpenSSH PROTOCOL §4.4. */
export const FXE_STATVFS = {
  ST_RDONLY: 0x1,
  ST_NOSUID: 0x2,
} as const;

/** The extension names this package knows, as they appear on the wire. */
export const EXT = {
  POSIX_RENAME: 'posix-rename@openssh.com',
  STATVFS: 'statvfs@openssh.com',
  FSTATVFS: 'fstatvfs@openssh.com',
  HARDLINK: 'hardlink@openssh.com',
  FSYNC: 'fsync@openssh.com',
  LSETSTAT: 'lsetstat@openssh.com',
  LIMITS: 'limits@openssh.com',
  EXPAND_PATH: 'expand-path@openssh.com',
  COPY_DATA: 'copy-data',
  HOME_DIRECTORY: 'home-directory',
  USERS_GROUPS_BY_ID: 'users-groups-by-id@openssh.com',
  VERSIONS: 'versions',
  VERSION_SELECT: 'version-select',
  NEWLINE: 'newline',
  VENDOR_ID: 'vendor-id',
  SUPPORTED: 'supported',
  SUPPORTED2: 'supported2',
  ACL_SUPPORTED: 'acl-supported',
} as const;

/** Default read/write block size (what OpenSSH's sftp uses) and request pipeline depth. */
export const SFTP_BLOCK_SIZE = 32768;
export const MAX_SFTP_REQUESTS = 128;
/** Largest packet we accept or send unless told otherwise (OpenSSH's sftp-server uses 256 KiB). */
export const SFTP_MAX_PACKET_LENGTH = 256 * 1024 + 1024;
