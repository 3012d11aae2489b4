/**
 * Open flags across protocol versions: the v5/v6 desired-access mask and flags (filexfer-05 §6.3,
 * filexfer-13 §8.1.1) mapped to the v3/v4 pflags (filexfer-02 §6.3) that older servers and the
 * local file system understand.
 * @module
 */

import { ACE4, FXF, FXF56 } from './constants.ts';

/** The v3/v4 pflags equivalent to v5/v6 `desiredAccess` and `flags`. */
export function pflagsFromOpen56(desiredAccess: number, flags: number): number {
  let pflags = 0;
  if (desiredAccess & ACE4.READ_DATA) pflags |= FXF.READ;
  if (desiredAccess & (ACE4.WRITE_DATA | ACE4.APPEND_DATA)) pflags |= FXF.WRITE;
  switch (flags & FXF56.ACCESS_DISPOSITION) {
    case FXF56.CREATE_NEW:
      pflags |= FXF.CREAT | FXF.EXCL;
      break;
    case FXF56.CREATE_TRUNCATE:
      pflags |= FXF.CREAT | FXF.TRUNC;
      break;
    case FXF56.OPEN_OR_CREATE:
      pflags |= FXF.CREAT;
      break;
    case FXF56.TRUNCATE_EXISTING:
      pflags |= FXF.TRUNC;
      break;
    default:
      break;
  }
  if (flags & (FXF56.APPEND_DATA | FXF56.APPEND_DATA_ATOMIC)) pflags |= FXF.APPEND;
  return pflags;
}
