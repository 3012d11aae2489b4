// A TypeScript project (strict, NodeNext) compiling against the installed packages' declarations.
import { connect, type SSHClientConnection, type SSHCompletedProcess } from '@ssh/asyncssh';
import { generatePrivateKey, type SSHKey } from '@ssh/keys';

export const key: SSHKey = generatePrivateKey('ssh-ed25519');

export async function uname(host: string): Promise<string> {
  const conn: SSHClientConnection = await connect(host, { clientKeys: [key] });
  try {
    const result: SSHCompletedProcess<string> = await conn.run('uname -a', { check: true });
    return result.stdout ?? '';
  } finally {
    conn.close();
  }
}
