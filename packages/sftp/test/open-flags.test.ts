/** v5/v6 open flags mapped to v3/v4 pflags (filexfer-05 §6.3 vs filexfer-02 §6.3). */
import { describe, expect, it } from 'vitest';
import { ACE4, FXF, FXF56 } from '../src/constants.ts';
import { pflagsFromOpen56 } from '../src/open-flags.ts';

describe('pflagsFromOpen56', () => {
  it('maps access and every disposition', () => {
    expect(pflagsFromOpen56(ACE4.READ_DATA, FXF56.OPEN_EXISTING)).toBe(FXF.READ);
    expect(pflagsFromOpen56(ACE4.WRITE_DATA, FXF56.CREATE_NEW)).toBe(FXF.WRITE | FXF.CREAT | FXF.EXCL);
    expect(pflagsFromOpen56(ACE4.WRITE_DATA, FXF56.CREATE_TRUNCATE)).toBe(FXF.WRITE | FXF.CREAT | FXF.TRUNC);
    expect(pflagsFromOpen56(ACE4.READ_DATA | ACE4.WRITE_DATA, FXF56.OPEN_OR_CREATE)).toBe(FXF.READ | FXF.WRITE | FXF.CREAT);
    expect(pflagsFromOpen56(ACE4.WRITE_DATA, FXF56.TRUNCATE_EXISTING)).toBe(FXF.WRITE | FXF.TRUNC);
    expect(pflagsFromOpen56(ACE4.APPEND_DATA, FXF56.OPEN_OR_CREATE | FXF56.APPEND_DATA)).toBe(FXF.WRITE | FXF.CREAT | FXF.APPEND);
  });
});
