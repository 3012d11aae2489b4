/**
 * An SFTPServer seen as a LocalFs: what the SCP server runs on when the application serves its
 * files through an SFTPServer of its own, so that SCP requests meet the same hooks (and so the
 * same chroot, path mapping and permissions) as SFTP requests, as AsyncSSH's allow_scp does with
 * its sftp_factory. Paths are the client's ('/'-separated) and go through `mapPath` first, as the
 * SFTP session maps a request's paths; symlink targets are stored as given, as there.
 * @module
 */

import { type SFTPAttrs, attrsType } from './attrs.ts';
import { FILEXFER_TYPE, FXF } from './constants.ts';
import { type LocalFile, type LocalFs } from './local-fs.ts';
import { basename, joinPath } from './paths.ts';
import { type SFTPServer } from './server.ts';

/** `server`'s files as a LocalFs (see the module comment). */
export function sftpServerFs(server: SFTPServer): LocalFs {
  const map = (path: string): Promise<string> => Promise.resolve(server.mapPath(path));
  return {
    stat: async (path) => server.stat(await map(path)),
    lstat: async (path) => server.lstat(await map(path)),
    async open(path, mode, permissions): Promise<LocalFile> {
      const file = await server.open(await map(path), mode === 'r' ? FXF.READ : FXF.WRITE | FXF.CREAT | FXF.TRUNC, permissions === undefined ? {} : { permissions });
      return {
        read: async (position, length) => server.read(file, position, length),
        write: async (data, position) => server.write(file, position, data),
        close: async () => server.close(file),
      };
    },
    async readdir(path) {
      const names: string[] = [];
      for await (const entry of await server.scandir(await map(path))) {
        if (entry.filename !== '.' && entry.filename !== '..') names.push(entry.filename);
      }
      return names;
    },
    // As the server's scandir hook yields them: it may hold only a batch at a time.
    async *scandir(path) {
      for await (const entry of await server.scandir(await map(path))) {
        if (entry.filename !== '.' && entry.filename !== '..') yield entry.filename;
      }
    },
    async mkdir(path) {
      const mapped = await map(path);
      try {
        await server.mkdir(mapped, {});
        return true;
      } catch (err) {
        const existing: SFTPAttrs | undefined = await Promise.resolve(server.stat(mapped)).catch(() => undefined);
        if (existing === undefined || attrsType(existing) !== FILEXFER_TYPE.DIRECTORY) throw err;
        return false;
      }
    },
    setstat: async (path, attrs) => server.setstat(await map(path), attrs),
    readlink: async (path) => server.readlink(await map(path)),
    symlink: async (target, path) => server.symlink(target, await map(path)),
    join: joinPath,
    basename,
  };
}
