/** Our server as the tests of foreign clients against it (x/crypto, Paramiko, JSch) run it. */
import type { KeyPair } from '@ssh/interop';
import { SSHServer, listen, type SSHAcceptor, type SSHServerConnectionOptions, type SSHServerProcess } from '../src/index.ts';

/**
 * listen() options shared by those tests: `hostKeys` served, `authorized` let in (client keys, or
 * authorized_keys text), sessions given to `processFactory` as bytes.
 */
export function foreignClientListenOptions(
  hostKeys: readonly KeyPair[],
  authorized: readonly KeyPair[] | string,
  processFactory: (process: SSHServerProcess<Uint8Array>) => Promise<void>,
) {
  return {
    serverHostKeys: hostKeys.map((key) => key.privateKeyPath),
    authorizedClientKeys: typeof authorized === 'string' ? authorized : authorized.map((key) => `${key.publicKey}\n`).join(''),
    processFactory,
    encoding: null,
  } as const;
}

/** Runs `body` with a server of ours of its own, listening on 127.0.0.1 with `options`; closes it after. */
export async function withOwnServer(options: SSHServerConnectionOptions<Uint8Array>, body: (server: SSHAcceptor) => Promise<void>): Promise<void> {
  const server = await listen('127.0.0.1', 0, options);
  try {
    await body(server);
  } finally {
    server.close();
    await server.waitClosed();
  }
}

/**
 * Lets a password of "sesame" in, and keyboard-interactive answers "sesame" and "blue" to its two
 * questions ("Code: " without echo, "Colour: " with it); allows every direct-tcpip channel and
 * tcpip-forward, recording each in `forwardRequests` as `open host:port` or `listen host:port`.
 */
export class ForeignClientServer extends SSHServer {
  protected readonly forwardRequests: string[];

  constructor(forwardRequests: string[]) {
    super();
    this.forwardRequests = forwardRequests;
  }

  override passwordAuthSupported(): boolean {
    return true;
  }

  override validatePassword(_username: string, password: string): boolean | { changePrompt: string } {
    return password === 'sesame';
  }

  override kbdintAuthSupported(): boolean {
    return true;
  }

  override getKbdintChallenge(): { name: string; instruction: string; prompts: { prompt: string; echo: boolean }[] } {
    return { name: 'Two questions', instruction: 'Answer both', prompts: [{ prompt: 'Code: ', echo: false }, { prompt: 'Colour: ', echo: true }] };
  }

  override validateKbdintResponse(_username: string, responses: readonly string[]): boolean {
    return responses[0] === 'sesame' && responses[1] === 'blue';
  }

  override connectionRequested(destHost: string, destPort: number): boolean {
    this.forwardRequests.push(`open ${destHost}:${destPort}`);
    return true;
  }

  override serverRequested(listenHost: string, listenPort: number): boolean {
    this.forwardRequests.push(`listen ${listenHost}:${listenPort}`);
    return true;
  }
}
