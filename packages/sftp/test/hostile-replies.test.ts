/**
 * The client against servers whose replies are legal packets but make no sense: listings that
 * never end, globs over directories that contain themselves, limits beyond 2^53, extended
 * replies cut short.
 */
import { describe, expect, it } from 'vitest';
import { FX, encodeResponse, startSftpClient } from '../src/index.ts';
import { rawServer } from './helpers/raw-server.ts';

const ok = (id: number): Uint8Array => encodeResponse({ kind: 'status', id, status: FX.OK, message: '', lang: '' }, 3);
const eof = (id: number): Uint8Array => encodeResponse({ kind: 'status', id, status: FX.EOF, message: '', lang: '' }, 3);

describe('directory listings', () => {
  it('an empty NAME reply to READDIR ends the listing (the caller would never get control back)', async () => {
    let readdirs = 0;
    const server = rawServer(3, (req, send) => {
      if (req.kind === 'opendir') send(encodeResponse({ kind: 'handle', id: req.id, handle: Uint8Array.of(7) }, 3));
      else if (req.kind === 'readdir') {
        // Stop after a while so that the test ends even when the client keeps asking.
        send(++readdirs > 200 ? eof(req.id) : encodeResponse({ kind: 'name', id: req.id, names: [] }, 3));
      } else send(ok(req.id));
    });
    const client = await startSftpClient(server.clientEnd);
    expect(await client.readdir('d')).toEqual([]);
    expect(readdirs).toBe(1);
    // The handle was closed.
    expect(server.requests.at(-1)?.kind).toBe('close');
    client.exit();
    await server.done;
  });
});
