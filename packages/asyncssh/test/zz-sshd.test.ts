import { defaultClientKey, startSshd } from '@ssh/interop';
import { it } from 'vitest';
import { writeFileSync } from 'node:fs';
it('start', async () => {
  const key = await defaultClientKey();
  const sshd = await startSshd({});
  writeFileSync('/tmp/sshd-info', `${sshd.port} ${sshd.user} ${key.privateKeyPath}`);
  await new Promise((r) => setTimeout(r, 600000));
}, 700000);
