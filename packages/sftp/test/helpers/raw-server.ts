/** A scripted SFTP server on a memory pipe: hands each request to `answer`, which writes raw replies. */
import { type SftpByteStream, type SftpRequest, FXP, PacketFramer, createMemoryPipe, decodeRequest, encodeInit } from '../../src/index.ts';

export interface RawServer {
  readonly clientEnd: SftpByteStream;
  /** Requests received so far. */
  readonly requests: SftpRequest[];
  /** Resolves when the client end closes. */
  readonly done: Promise<void>;
}

export function rawServer(version: number, answer: (req: SftpRequest, send: (bytes: Uint8Array) => void, end: () => void) => void, extensions: ReadonlyArray<readonly [string, Uint8Array]> = []): RawServer {
  const [clientEnd, serverEnd] = createMemoryPipe();
  const requests: SftpRequest[] = [];
  const done = (async () => {
    const framer = new PacketFramer(1 << 20);
    let started = false;
    for await (const chunk of serverEnd.readable) {
      for (const p of framer.push(chunk)) {
        if (!started) {
          started = true;
          void serverEnd.write(encodeInit(FXP.VERSION, { version, extensions }));
          continue;
        }
        const req = decodeRequest(p, version);
        requests.push(req);
        answer(req, (b) => void serverEnd.write(b), () => serverEnd.close());
      }
    }
    serverEnd.close();
  })();
  return { clientEnd, requests, done };
}
