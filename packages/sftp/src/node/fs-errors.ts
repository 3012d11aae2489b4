/**
 * Node errno codes as SFTP status codes (filexfer-13 §9.1), for the local file system server.
 * @module
 */

import { FX } from '../constants.ts';
import { SFTPError } from '../errors.ts';

const ERRNO_STATUS: Readonly<Record<string, number>> = {
  ENOENT: FX.NO_SUCH_FILE,
  EACCES: FX.PERMISSION_DENIED,
  EPERM: FX.PERMISSION_DENIED,
  EEXIST: FX.FILE_ALREADY_EXISTS,
  ENOTEMPTY: FX.DIR_NOT_EMPTY,
  ENOTDIR: FX.NOT_A_DIRECTORY,
  EISDIR: FX.FILE_IS_A_DIRECTORY,
  ELOOP: FX.LINK_LOOP,
  ENOSPC: FX.NO_SPACE_ON_FILESYSTEM,
  EDQUOT: FX.QUOTA_EXCEEDED,
  EROFS: FX.WRITE_PROTECT,
  EINVAL: FX.INVALID_PARAMETER,
  EBADF: FX.INVALID_HANDLE,
  ENAMETOOLONG: FX.INVALID_FILENAME,
  EXDEV: FX.FAILURE,
  EBUSY: FX.FAILURE,
  ERR_INVALID_ARG_VALUE: FX.INVALID_FILENAME,
  ERR_INVALID_ARG_TYPE: FX.INVALID_FILENAME,
};

const MESSAGES: Readonly<Record<number, string>> = {
  [FX.NO_SUCH_FILE]: 'No such file',
  [FX.PERMISSION_DENIED]: 'Permission denied',
  [FX.FILE_ALREADY_EXISTS]: 'File already exists',
  [FX.DIR_NOT_EMPTY]: 'Directory not empty',
  [FX.NOT_A_DIRECTORY]: 'Not a directory',
  [FX.FILE_IS_A_DIRECTORY]: 'Is a directory',
  [FX.LINK_LOOP]: 'Too many levels of symbolic links',
  [FX.NO_SPACE_ON_FILESYSTEM]: 'No space left on device',
  [FX.QUOTA_EXCEEDED]: 'Quota exceeded',
  [FX.WRITE_PROTECT]: 'Read-only file system',
  [FX.INVALID_PARAMETER]: 'Invalid argument',
  [FX.INVALID_HANDLE]: 'Bad file descriptor',
  [FX.INVALID_FILENAME]: 'Invalid file name',
};

/** The SFTPError for an error thrown by node:fs (SFTPErrors pass through; others are FAILURE). */
export function fsError(e: unknown): SFTPError {
  if (e instanceof SFTPError) return e;
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  const status = ERRNO_STATUS[code] ?? FX.FAILURE;
  return SFTPError.fromCode(status, MESSAGES[status] ?? (e instanceof Error ? e.message : 'Failure'), 'en', { cause: e });
}
