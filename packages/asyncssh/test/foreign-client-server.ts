/** Our server as the tests of foreign clients against it (x/crypto, Paramiko, JSch) run it. */
import type { KeyPair } from '@ssh/interop';
import { SSHServer, type SSHServerProcess } from '../src/index.ts';

/**
 * listen() options shared by those tests: `hostKeys` served, `clientKeys` authorized, sessions
 * given to `processFactory` as bytes, without our line editor.
 */
export function foreignClientListenOptions(hostKeys: readonly KeyPair[], clientKeys: readonly KeyPair[], processFactory: (process: SSHServerProcess<Uint8Array>) => Promise<void>) {
  return {
    serverHostKeys: hostKeys.map((key) => key.privateKeyPath),
    authorizedClientKeys: clientKeys.map((key) => `${key.publicKey}\n`).join(''),
    processFactory,
    encoding: null,
    lineEditor: false,
  } as const;
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
