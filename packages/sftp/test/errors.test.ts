/** SFTPError hierarchy: one class per status code of filexfer-13 §9.1, fromCode, version downgrade. */
import { describe, expect, it } from 'vitest';
import { SshError } from '@ssh/wire';
import * as sftp from '../src/index.ts';
import { FX, SFTPError, SFTPFailure, SFTPNoSuchFile, statusForVersion } from '../src/index.ts';

const NAMES: Record<string, string> = {
  EOF: 'SFTPEOFError',
  NO_SUCH_FILE: 'SFTPNoSuchFile',
  PERMISSION_DENIED: 'SFTPPermissionDenied',
  FAILURE: 'SFTPFailure',
  BAD_MESSAGE: 'SFTPBadMessage',
  NO_CONNECTION: 'SFTPNoConnection',
  CONNECTION_LOST: 'SFTPConnectionLost',
  OP_UNSUPPORTED: 'SFTPOpUnsupported',
  INVALID_HANDLE: 'SFTPInvalidHandle',
  NO_SUCH_PATH: 'SFTPNoSuchPath',
  FILE_ALREADY_EXISTS: 'SFTPFileAlreadyExists',
  WRITE_PROTECT: 'SFTPWriteProtect',
  NO_MEDIA: 'SFTPNoMedia',
  NO_SPACE_ON_FILESYSTEM: 'SFTPNoSpaceOnFilesystem',
  QUOTA_EXCEEDED: 'SFTPQuotaExceeded',
  UNKNOWN_PRINCIPAL: 'SFTPUnknownPrincipal',
  LOCK_CONFLICT: 'SFTPLockConflict',
  DIR_NOT_EMPTY: 'SFTPDirNotEmpty',
  NOT_A_DIRECTORY: 'SFTPNotADirectory',
  INVALID_FILENAME: 'SFTPInvalidFilename',
  LINK_LOOP: 'SFTPLinkLoop',
  CANNOT_DELETE: 'SFTPCannotDelete',
  INVALID_PARAMETER: 'SFTPInvalidParameter',
  FILE_IS_A_DIRECTORY: 'SFTPFileIsADirectory',
  BYTE_RANGE_LOCK_CONFLICT: 'SFTPByteRangeLockConflict',
  BYTE_RANGE_LOCK_REFUSED: 'SFTPByteRangeLockRefused',
  DELETE_PENDING: 'SFTPDeletePending',
  FILE_CORRUPT: 'SFTPFileCorrupt',
  OWNER_INVALID: 'SFTPOwnerInvalid',
  GROUP_INVALID: 'SFTPGroupInvalid',
  NO_MATCHING_BYTE_RANGE_LOCK: 'SFTPNoMatchingByteRangeLock',
};

describe('SFTPError', () => {
  it.each(Object.entries(NAMES))('FX_%s maps to %s', (code, className) => {
    const status = FX[code as keyof typeof FX];
    const Cls = (sftp as unknown as Record<string, new (reason?: string) => SFTPError>)[className];
    expect(Cls).toBeDefined();
    const e = SFTPError.fromCode(status, 'why', 'en');
    expect(e).toBeInstanceOf(Cls as new () => SFTPError);
    expect(e).toBeInstanceOf(SFTPError);
    expect(e).toBeInstanceOf(SshError);
    expect(e.name).toBe(className);
    expect(e.status).toBe(status);
    expect(e.reason).toBe('why');
    expect(e.lang).toBe('en');
    expect(e.code).toBe(`SSH_ERR_SFTP_${code}`);
    expect(e.message).toBe('ssh: why');
    expect(new (Cls as new () => SFTPError)().status).toBe(status);
  });

  it('keeps unknown codes as plain SFTPError', () => {
    const e = SFTPError.construct(99, 'odd');
    expect(e.constructor).toBe(SFTPError);
    expect(e.status).toBe(99);
    expect(e.code).toBe('SSH_ERR_SFTP_STATUS_99');
  });

  it('classes are distinct', () => {
    expect(new SFTPNoSuchFile()).not.toBeInstanceOf(SFTPFailure);
  });

  it('downgrades codes a version lacks to FAILURE', () => {
    expect(statusForVersion(FX.NO_SUCH_PATH, 3)).toBe(FX.FAILURE);
    expect(statusForVersion(FX.NO_SUCH_PATH, 4)).toBe(FX.NO_SUCH_PATH);
    expect(statusForVersion(FX.LOCK_CONFLICT, 4)).toBe(FX.FAILURE);
    expect(statusForVersion(FX.LOCK_CONFLICT, 5)).toBe(FX.LOCK_CONFLICT);
    expect(statusForVersion(FX.DIR_NOT_EMPTY, 5)).toBe(FX.FAILURE);
    expect(statusForVersion(FX.NO_MATCHING_BYTE_RANGE_LOCK, 6)).toBe(FX.NO_MATCHING_BYTE_RANGE_LOCK);
    expect(statusForVersion(FX.OP_UNSUPPORTED, 3)).toBe(FX.OP_UNSUPPORTED);
    // ENOTDIR: what sftp-server (errno_to_portable) and AsyncSSH send before v6.
    expect(statusForVersion(FX.NOT_A_DIRECTORY, 3)).toBe(FX.NO_SUCH_FILE);
    expect(statusForVersion(FX.NOT_A_DIRECTORY, 5)).toBe(FX.NO_SUCH_FILE);
    expect(statusForVersion(FX.NOT_A_DIRECTORY, 6)).toBe(FX.NOT_A_DIRECTORY);
  });
});
