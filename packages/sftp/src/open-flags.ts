/**
 * Open flags across protocol versions: Python-style open() modes as v3/v4 pflags (filexfer-02
 * §6.3), and the v5/v6 desired-access mask and flags (filexfer-05 §6.3, filexfer-13 §8.1.1)
 * mapped to and from the pflags that older servers and the local file system understand.
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

/** Translates a Python-style mode to v3/v4 pflags. */
export function modeToPflags(mode: string): { pflags: number; append: boolean } {
  const plus = mode.includes('+');
  let pflags: number;
  switch (mode.replace(/[b+t]/g, '')) {
    case 'r':
      pflags = plus ? FXF.READ | FXF.WRITE : FXF.READ;
      break;
    case 'w':
      pflags = (plus ? FXF.READ | FXF.WRITE : FXF.WRITE) | FXF.CREAT | FXF.TRUNC;
      break;
    case 'a':
      pflags = (plus ? FXF.READ | FXF.WRITE : FXF.WRITE) | FXF.CREAT | FXF.APPEND;
      break;
    case 'x':
      pflags = (plus ? FXF.READ | FXF.WRITE : FXF.WRITE) | FXF.CREAT | FXF.EXCL;
      break;
    default:
      throw new RangeError(`invalid open mode ${JSON.stringify(mode)}`);
  }
  return { pflags, append: (pflags & FXF.APPEND) !== 0 };
}

/** v3/v4 pflags as v5/v6 desired-access and flags. filexfer-13 §8.1.1. */
export function pflagsToV5(pflags: number): { desiredAccess: number; flags: number } {
  let desiredAccess = ACE4.READ_ATTRIBUTES;
  if (pflags & FXF.READ) desiredAccess |= ACE4.READ_DATA;
  if (pflags & FXF.WRITE) desiredAccess |= ACE4.WRITE_DATA | ACE4.WRITE_ATTRIBUTES;
  if (pflags & FXF.APPEND) desiredAccess |= ACE4.APPEND_DATA;
  let flags: number;
  if (pflags & FXF.CREAT) {
    if (pflags & FXF.EXCL) flags = FXF56.CREATE_NEW;
    else if (pflags & FXF.TRUNC) flags = FXF56.CREATE_TRUNCATE;
    else flags = FXF56.OPEN_OR_CREATE;
  } else if (pflags & FXF.TRUNC) flags = FXF56.TRUNCATE_EXISTING;
  else flags = FXF56.OPEN_EXISTING;
  if (pflags & FXF.APPEND) flags |= FXF56.APPEND_DATA;
  if (pflags & FXF.TEXT) flags |= FXF56.TEXT_MODE;
  return { desiredAccess, flags };
}
