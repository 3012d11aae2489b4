/**
 * The handshake benchmark's in-process clients, run by a runner (../peers/runner.ts): one
 * connection each, timed inside the runner's process, in seconds.
 * @module
 */

import { timedSeconds } from '../measure.ts';
import { ourClose, ourConnect, ssh2Close, ssh2Connect, ssh2Run, type Endpoint } from './connection-common.ts';

/** Our client: connect, authenticate, close. */
export function ourHandshake(ep: Endpoint): Promise<number> {
  return timedSeconds(async () => ourClose(await ourConnect(ep)));
}

/** ssh2: connect, authenticate, close. */
export function ssh2Handshake(ep: Endpoint): Promise<number> {
  return timedSeconds(async () => ssh2Close(await ssh2Connect(ep)));
}

/** Our client: connect, authenticate, run `true`, close. */
export function ourExec(ep: Endpoint): Promise<number> {
  return timedSeconds(async () => {
    const conn = await ourConnect(ep);
    const result = await conn.run('true');
    if (result.exitStatus !== 0) throw new Error(`handshake bench: true exited ${String(result.exitStatus)}`);
    await ourClose(conn);
  });
}

/** ssh2: connect, authenticate, run `true`, close. */
export function ssh2Exec(ep: Endpoint): Promise<number> {
  return timedSeconds(async () => {
    const client = await ssh2Connect(ep);
    const code = await ssh2Run(client, 'true');
    if (code !== 0) throw new Error(`handshake bench: ssh2 true exited ${String(code)}`);
    await ssh2Close(client);
  });
}
