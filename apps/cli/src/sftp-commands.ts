/**
 * The commands of ssh-sftp, as OpenSSH's sftp takes them: a line is split into words (quotes and
 * backslashes as in sftp), its command runs against an SFTPClient and the local directory of the
 * session. Remote paths are relative to the remote working directory (cd), local ones to the
 * local one (lcd). A failing command throws; the caller decides whether that stops a batch.
 * @module
 */

import { spawn } from 'node:child_process';
import { chmod, mkdir, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { FILEXFER_TYPE, SFTPConnectionLost, SFTPNoSuchFile, attrsType, basename, localGlob, modeString, nodeLocalFs, type SFTPAttrs, type SFTPClient, type SFTPName } from '@ssh/asyncssh';
import { getopt, hasFlag, type Parsed } from './getopt.ts';
import { printable } from './printable.ts';
import { formatBytes, progressMeter } from './progress.ts';
import { ResumeError, resumeDownload, resumeUpload } from './resume.ts';

export { printable };

export interface ShellIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Draw the progress meter (stdout is a terminal and -q was not given). */
  readonly progress: boolean;
  /** -q: no "Fetching ..."/"Uploading ..." lines. */
  readonly quiet: boolean;
  /** Local commands (`!`, lls) use the terminal itself instead of relaying their output. */
  readonly terminal: boolean;
}

export interface ShellDefaults {
  /** -r: get/put recurse without being asked. */
  readonly recurse: boolean;
  /** -p: get/put preserve modes and times without being asked. */
  readonly preserve: boolean;
}

/** A command failed; its message is the line shown after `ssh-sftp: `. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  /**
   * Whether the failure ends a batch (unless its line starts with `-`). As OpenSSH's sftp, every
   * failure does but a local command's own (`!command`, lls): those are reported and the batch goes on.
   */
  readonly abortsBatch: boolean;

  constructor(message: string, options: { readonly abortsBatch?: boolean } = {}) {
    super(message);
    this.abortsBatch = options.abortsBatch ?? true;
  }
}

/**
 * Files of one get or put that could not be copied, when there were several: each is reported
 * on its own line. The others were copied, as sftp copies what it can and then fails the command.
 */
export class CommandFailures extends CommandError {
  /** Each failure, with the source it befell when the command had several, or the file of a tree that failed. */
  readonly failures: readonly { readonly source?: string; readonly error: unknown }[];

  constructor(failures: readonly { readonly source?: string; readonly error: unknown }[]) {
    super(`${failures.length} files could not be copied`);
    this.failures = failures;
  }
}

/** The source to name for a failure: the file of a tree that failed (the error's srcPath), else `source`. */
function failedSource(error: unknown, source: { source?: string }): { source?: string } {
  const file = typeof error === 'object' && error !== null ? (error as { srcPath?: unknown }).srcPath : undefined;
  return typeof file === 'string' ? { source: file } : source;
}

/** Whether a failed command ends a batch: all do but those a CommandError says do not. */
export function abortsBatch(error: unknown): boolean {
  return !(error instanceof CommandError) || error.abortsBatch;
}

export const HELP = `Available commands:
bye                                Quit sftp
cd path                            Change remote directory to 'path'
chgrp [-h] grp path                Change group of file 'path' to 'grp' (numeric)
chmod [-h] mode path               Change permissions of file 'path' to 'mode' (octal)
chown [-h] own path                Change owner of file 'path' to 'own' (numeric)
copy oldpath newpath               Copy remote file (copy-data extension)
cp oldpath newpath                 Copy remote file (copy-data extension)
df [-h] [-i] [path]                Display statistics for current directory or
                                   filesystem containing 'path'
exit                               Quit sftp
get [-apr] remote [local]          Download file (-a: resume)
help                               Display this help text
lcd path                           Change local directory to 'path'
lls [ls-options [path]]            Display local directory listing
lmkdir path                        Create local directory
ln [-s] oldpath newpath            Link remote file (-s for symlink)
lpwd                               Print local working directory
ls [-1aln] [path]                  Display remote directory listing
lumask umask                       Set local umask to 'umask'
mget [-pr] remote [local]          Download files (globs)
mkdir path                         Create remote directory
mput [-pr] local [remote]          Upload files (globs)
progress                           Toggle display of progress meter
put [-apr] local [remote]          Upload file (-a: resume)
pwd                                Display remote working directory
quit                               Quit sftp
rename oldpath newpath             Rename remote file
reget [-p] remote [local]          Resume download of file
reput [-p] local [remote]          Resume upload of file
rm path                            Delete remote file
rmdir path                         Remove remote directory
symlink oldpath newpath            Symlink remote file
version                            Show SFTP version
!command                           Execute 'command' in local shell
!                                  Escape to local shell
?                                  Synonym for help
`;

/** Splits a command line into words: whitespace separates, '...' and "..." quote, \\ escapes. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length && '"\\'.includes(line[i + 1] as string)) word += line[++i] as string;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i] as string;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== undefined) throw new CommandError('unterminated quoted argument');
  if (inWord) words.push(word);
  return words;
}

const MAGIC = /[*?[]/;

/**
 * Whether `match`, found for `pattern` by the library's glob (AsyncSSH's: a leading dot is not
 * special), is one sftp's glob(3) finds too: a wildcard component takes a name with a leading dot
 * only when it starts with a dot itself. The pattern's components from its first wildcard on are
 * set against the match's last ones (with `**`, which spans directories, every component of the
 * match after the pattern's plain prefix).
 */
export function shellVisible(pattern: string, match: string): boolean {
  const parts = pattern.split('/').filter((p) => p !== '');
  const names = match.split('/').filter((p) => p !== '');
  const first = parts.findIndex((p) => MAGIC.test(p));
  if (first < 0) return true;
  const tail = parts.slice(first);
  if (tail.includes('**')) {
    const dotted = tail.some((p) => p.startsWith('.'));
    return dotted || names.slice(first).every((n) => !n.startsWith('.'));
  }
  const tailNames = names.slice(names.length - tail.length);
  return tail.every((p, i) => !MAGIC.test(p) || p.startsWith('.') || !(tailNames[i] ?? '').startsWith('.'));
}

/** A remote wildcard's matches as sftp's and scp's glob finds them: the library's less what shellVisible leaves out. */
export async function shellGlob(client: SFTPClient, pattern: string): Promise<string[]> {
  return (await client.glob(pattern)).filter((m) => shellVisible(pattern, m));
}

/** strerror(3)'s words for the errors a local file operation meets most, else Node's code. */
const SYSTEM_MESSAGES: Readonly<Record<string, string>> = {
  EACCES: 'Permission denied',
  EEXIST: 'File exists',
  ENOENT: 'No such file or directory',
  ENOSPC: 'No space left on device',
  ENOTDIR: 'Not a directory',
  EPERM: 'Operation not permitted',
  EROFS: 'Read-only file system',
};

function systemMessage(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return SYSTEM_MESSAGES[code] ?? code;
  return message(error);
}

function message(error: unknown): string {
  if (error instanceof Error) return error.message.replace(/^(?:ssh|sftp|scp): /, '');
  return String(error);
}

/** `ls -l` line computed from the attributes (numeric owner and group, local time). */
export function longLine(name: string, attrs: SFTPAttrs): string {
  let date = '';
  if (attrs.mtime !== undefined) {
    const d = new Date(attrs.mtime * 1000);
    const recent = Math.abs(Date.now() - d.getTime()) < 182 * 86400 * 1000;
    const month = d.toLocaleString('en-US', { month: 'short' });
    const clock = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    date = `${month} ${String(d.getDate()).padStart(2)} ${recent ? clock : ` ${d.getFullYear()}`}`;
  }
  // Owner and group names (SFTP v4+) are the server's words too.
  const owner = printable(attrs.owner ?? String(attrs.uid ?? '?'));
  const group = printable(attrs.group ?? String(attrs.gid ?? '?'));
  return `${modeString(attrs)} ${String(attrs.nlink ?? 1).padStart(3)} ${owner.padEnd(8)} ${group.padEnd(8)} ${String(attrs.size ?? 0).padStart(8)} ${date} ${printable(name)}`;
}

/** One ssh-sftp session: the client, the local working directory and the defaults from the command line. */
export class SftpShell {
  readonly sftp: SFTPClient;
  localCwd: string;
  private readonly io: ShellIo;
  private readonly defaults: ShellDefaults;
  /** The remote directory the session started in (the server's, before any cd). */
  private readonly startDir: Promise<string>;
  /** The current command's `stopAtFailure` (see execute). */
  private stopAtFailure = true;
  /** The progress meter is wanted (the `progress` command toggles it). */
  private progress: boolean;

  constructor(sftp: SFTPClient, io: ShellIo, defaults: ShellDefaults, localCwd: string = process.cwd()) {
    this.sftp = sftp;
    this.io = io;
    this.defaults = defaults;
    this.localCwd = localCwd;
    this.progress = io.progress;
    // Asked before any cd: where a bare `cd` goes back to, as sftp's startdir (the login directory).
    this.startDir = Promise.resolve().then(() => sftp.realpath('.'));
    this.startDir.catch(() => undefined);
  }

  /**
   * Runs one command line; answers false for exit/quit/bye. Throws CommandError (or the SFTP
   * error) on failure. `stopAtFailure` (default true): rm, chmod, chown and chgrp stop at the first
   * match of a wildcard that fails, as sftp's do in a batch (without `-`); otherwise every match is
   * tried, and all failures thrown together (CommandFailures). get and put always try every file.
   */
  async execute(line: string, options: { readonly stopAtFailure?: boolean } = {}): Promise<boolean> {
    this.stopAtFailure = options.stopAtFailure ?? true;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return true;
    if (trimmed.startsWith('!')) {
      await this.local(trimmed.slice(1).trim());
      return true;
    }
    const [command, ...args] = splitWords(trimmed);
    switch (command) {
      case 'bye':
      case 'exit':
      case 'quit':
        return false;
      case 'help':
      case '?':
        this.io.out(HELP);
        return true;
      case 'version':
        this.io.out(`SFTP protocol version ${this.sftp.version}\n`);
        return true;
      case 'pwd':
        this.io.out(`Remote working directory: ${printable(await this.sftp.getcwd())}\n`);
        return true;
      case 'lpwd':
        this.io.out(`Local working directory: ${this.localCwd}\n`);
        return true;
      case 'cd':
        await this.cd(args);
        return true;
      case 'lcd':
        await this.lcd(args);
        return true;
      case 'ls':
      case 'dir':
        await this.ls(args);
        return true;
      case 'lls':
      case 'ldir':
        await this.spawnLocal('ls', args);
        return true;
      case 'lmkdir':
        await this.lmkdir(this.one(args, 'lmkdir path'));
        return true;
      case 'get':
      case 'mget':
        await this.get(args);
        return true;
      case 'reget':
        await this.get(['-a', ...args]);
        return true;
      case 'put':
      case 'mput':
        await this.put(args);
        return true;
      case 'reput':
        await this.put(['-a', ...args]);
        return true;
      case 'mkdir':
        await this.sftp.mkdir(this.one(args, 'mkdir path'));
        return true;
      case 'rmdir':
        await this.sftp.rmdir(this.one(args, 'rmdir path'));
        return true;
      case 'rm':
        await this.eachMatch(await this.remoteGlob(this.atLeastOne(args, 'rm path')), async (p) => {
          if (!this.io.quiet) this.io.out(`Removing ${printable(p)}\n`);
          await this.sftp.remove(p);
        });
        return true;
      case 'rename': {
        const [from, to] = this.two(args, 'rename oldpath newpath');
        await this.sftp.rename(from, to);
        return true;
      }
      case 'ln':
      case 'symlink':
        await this.link(command, args);
        return true;
      case 'chmod':
      case 'chown':
      case 'chgrp':
        await this.change(command, args);
        return true;
      case 'df':
        await this.df(args);
        return true;
      case 'copy':
      case 'cp': {
        // As sftp's: one file, on the server, through copy-data (refused when it lacks it).
        const [from, to] = this.two(args, `${command} oldpath newpath`);
        if (!this.sftp.supportsRemoteCopy) throw new CommandError('Server does not support copy-data extension');
        await this.sftp.copy(from, to, { remoteOnly: true });
        return true;
      }
      case 'lumask': {
        const mask = this.one(args, 'lumask umask');
        if (!/^[0-7]{1,4}$/.test(mask)) throw new CommandError('You must supply a numeric argument to the lumask command.');
        process.umask(Number.parseInt(mask, 8));
        this.io.out(`Local umask: ${Number.parseInt(mask, 8).toString(8).padStart(3, '0')}\n`);
        return true;
      }
      case 'progress':
        this.progress = !this.progress;
        this.io.out(`Progress meter ${this.progress ? 'enabled' : 'disabled'}\n`);
        return true;
      case undefined:
        return true;
      default:
        throw new CommandError(`Invalid command "${printable(command ?? '')}". Type "help" for the list of commands.`);
    }
  }

  private parse(args: readonly string[], flags: string, usage: string): Parsed {
    try {
      return getopt(args, flags);
    } catch (error) {
      throw new CommandError(`${message(error)}; usage: ${usage}`);
    }
  }

  private one(args: readonly string[], usage: string): string {
    if (args.length !== 1) throw new CommandError(`usage: ${usage}`);
    return args[0] as string;
  }

  private two(args: readonly string[], usage: string): [string, string] {
    if (args.length !== 2) throw new CommandError(`usage: ${usage}`);
    return [args[0] as string, args[1] as string];
  }

  private atLeastOne(args: readonly string[], usage: string): string[] {
    if (args.length === 0) throw new CommandError(`usage: ${usage}`);
    return [...args];
  }

  private localPath(p: string): string {
    return path.resolve(this.localCwd, p.startsWith('~/') || p === '~' ? path.join(process.env['HOME'] ?? '/', p.slice(1)) : p);
  }

  /** Remote paths matching each pattern (a pattern without wildcards stands for itself); none matching is an error. */
  private async remoteGlob(patterns: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const pattern of patterns) {
      if (!MAGIC.test(pattern)) {
        out.push(pattern);
        continue;
      }
      const matches = await shellGlob(this.sftp, pattern).catch(() => []);
      if (matches.length === 0) throw new CommandError(`File "${printable(pattern)}" not found.`);
      // One at a time: spread as arguments, ~120,000 names overflow the stack (RangeError).
      for (const match of matches) out.push(match);
    }
    return out;
  }

  /**
   * Local paths matching a pattern, wildcards in any component, as glob(3) gives them to sftp:
   * hidden names only for a component that starts with a dot, sorted by whole path.
   */
  private async localGlob(pattern: string): Promise<string[]> {
    const absolute = this.localPath(pattern);
    if (!MAGIC.test(pattern)) return [absolute];
    try {
      return await localGlob(nodeLocalFs, [absolute], Number.POSITIVE_INFINITY, true);
    } catch (error) {
      // sftp's glob(3) call has GLOB_NOCHECK: no match gives the pattern back, which stat then refuses.
      if (error instanceof SFTPNoSuchFile) throw new CommandError(`stat ${pattern}: No such file or directory`);
      throw error;
    }
  }

  private async cd(args: readonly string[]): Promise<void> {
    const target = args.length === 0 ? await this.startDir : this.one(args, 'cd path');
    const attrs = await this.sftp.stat(target);
    if (attrsType(attrs) !== FILEXFER_TYPE.DIRECTORY) throw new CommandError(`Can't change directory: "${printable(target)}" is not a directory`);
    await this.sftp.chdir(target);
  }

  private async lcd(args: readonly string[]): Promise<void> {
    const target = this.localPath(args.length === 0 ? (process.env['HOME'] ?? '/') : this.one(args, 'lcd path'));
    const info = await stat(target).catch(() => undefined);
    if (!info?.isDirectory()) throw new CommandError(`Couldn't change local directory to "${target}": ${info ? 'not a directory' : 'No such file or directory'}`);
    this.localCwd = target;
  }

  private async ls(args: readonly string[]): Promise<void> {
    const parsed = this.parse(args, '1alnfhrSt', 'ls [-1aln] [path]');
    const all = hasFlag(parsed, 'a');
    const long = hasFlag(parsed, 'l') || hasFlag(parsed, 'n');
    const numeric = hasFlag(parsed, 'n');
    const targets = parsed.operands.length > 0 ? parsed.operands : ['.'];
    for (const target of targets) {
      let entries: { shown: string; name: SFTPName }[];
      if (MAGIC.test(target)) {
        const names = await this.sftp.globSftpname(target);
        if (names.length === 0) throw new CommandError(`Can't ls: "${printable(target)}" not found`);
        entries = names.map((name) => ({ shown: name.filename, name }));
      } else {
        const attrs = await this.sftp.stat(target);
        if (attrsType(attrs) === FILEXFER_TYPE.DIRECTORY) {
          const prefix = target === '.' ? '' : `${target.replace(/\/+$/, '')}/`;
          entries = (await this.sftp.readdir(target))
            .filter((n) => all || !n.filename.startsWith('.'))
            .map((name) => ({ shown: prefix + name.filename, name }));
        } else {
          entries = [{ shown: target, name: { filename: basename(target), longname: '', attrs } }];
        }
      }
      entries.sort((a, b) => (a.shown < b.shown ? -1 : a.shown > b.shown ? 1 : 0));
      for (const { shown, name } of entries) {
        if (!long) this.io.out(`${printable(shown)}\n`);
        else if (!numeric && name.longname !== '' && shown === name.filename) this.io.out(`${printable(name.longname)}\n`);
        else this.io.out(`${longLine(shown, name.attrs)}\n`);
      }
    }
  }

  /** The meter is drawn: wanted (`progress` toggles it, -q turns it off) and stdout a terminal. */
  private get drawProgress(): boolean {
    return this.progress && (this.io.progress || this.io.terminal);
  }

  private transferOptions(parsed: Parsed, prefix: string) {
    const meter = progressMeter(this.io.out, this.drawProgress);
    return {
      recurse: this.defaults.recurse || hasFlag(parsed, 'r') || hasFlag(parsed, 'R'),
      preserve: this.defaults.preserve || hasFlag(parsed, 'p') || hasFlag(parsed, 'P'),
      followSymlinks: true,
      ...(this.drawProgress ? { progressHandler: (src: string, _dst: string, done: number, total: number) => meter(`${prefix}${printable(basename(src))}`, done, total) } : {}),
    };
  }

  private async get(args: readonly string[]): Promise<void> {
    const parsed = this.parse(args, 'afpPrR', 'get [-apr] remote [local]');
    const [remote, local, ...extra] = parsed.operands;
    if (remote === undefined || extra.length > 0) throw new CommandError('usage: get [-apr] remote [local]');
    const sources = await this.remoteGlob([remote]);
    const dst = this.localPath(local ?? '.');
    const dstIsDir = await stat(dst).then((s) => s.isDirectory(), () => false);
    if (sources.length > 1 && !dstIsDir) throw new CommandError(`Multiple source paths, but destination "${dst}" is not a directory`);
    const resume = hasFlag(parsed, 'a');
    await this.eachSource(sources, async (src, failed) => {
      const options = { ...this.transferOptions(parsed, ''), errorHandler: failed };
      if (resume && options.recurse) throw new CommandError('get -a: resuming a recursive download is not supported; resume its files one by one');
      const target = dstIsDir ? path.join(dst, basename(src)) : dst;
      if (!this.io.quiet) this.io.out(`${resume ? 'Resuming' : 'Fetching'} ${printable(await this.absolute(src))} to ${printable(target)}\n`);
      // Into a directory, the library adds the name itself: given `target`, it would add it again
      // when a copy is already there (tree/tree) instead of merging into it as sftp does.
      if (!resume) await this.sftp.get(src, dstIsDir ? dst : target, options);
      else await this.resumed(() => resumeDownload(this.sftp, src, target, this.meter(src)), target, options.preserve ? () => this.preserveLocal(src, target) : undefined);
    });
  }

  /**
   * Copies each source with `copy`, which also gives `failed` to the library as the errorHandler
   * of a tree: as sftp, a file that cannot be copied is reported and the others still are, then
   * the command fails (CommandFailures, naming each source, when there were several). A lost
   * connection ends it, and so does any failure with `stopAtFirst`.
   */
  private async eachSource(sources: readonly string[], copy: (src: string, failed: (e: unknown) => void) => Promise<void>, stopAtFirst = false): Promise<void> {
    const failures: { source?: string; error: unknown }[] = [];
    for (const src of sources) {
      // With several sources, each failure names its own.
      const source = sources.length > 1 ? { source: src } : {};
      try {
        // A file inside a tree is named by the library's error (srcPath, AsyncSSH's srcpath).
        await copy(src, (error) => void failures.push({ ...failedSource(error, source), error }));
      } catch (error) {
        failures.push({ ...source, error });
        if (stopAtFirst || error instanceof SFTPConnectionLost) break;
      }
    }
    const [only, ...more] = failures;
    if (only !== undefined && only.source === undefined && more.length === 0) throw only.error;
    if (only !== undefined) throw new CommandFailures(failures);
  }

  private async put(args: readonly string[]): Promise<void> {
    const parsed = this.parse(args, 'afpPrR', 'put [-apr] local [remote]');
    const [local, remote, ...extra] = parsed.operands;
    if (local === undefined || extra.length > 0) throw new CommandError('usage: put [-apr] local [remote]');
    const sources = await this.localGlob(local);
    const dst = remote ?? '.';
    const dstIsDir = await this.sftp.isdir(dst);
    if (sources.length > 1 && !dstIsDir) throw new CommandError(`Multiple source paths, but destination "${printable(dst)}" is not a directory`);
    const resume = hasFlag(parsed, 'a');
    await this.eachSource(sources, async (src, failed) => {
      const options = { ...this.transferOptions(parsed, ''), errorHandler: failed };
      if (resume && options.recurse) throw new CommandError('put -a: resuming a recursive upload is not supported; resume its files one by one');
      // As sftp: a match that cannot be stat'ed (a dangling link) is reported before any word of uploading it.
      await stat(src).catch((error: unknown) => {
        throw new CommandError(`stat ${src}: ${systemMessage(error)}`);
      });
      const target = dstIsDir ? `${dst.replace(/\/+$/, '')}/${path.basename(src)}` : dst;
      if (!this.io.quiet) this.io.out(`${resume ? 'Resuming upload of' : 'Uploading'} ${src} to ${printable(await this.absolute(target))}\n`);
      if (!resume) await this.sftp.put(src, dstIsDir ? dst : target, options);
      else await this.resumed(() => resumeUpload(this.sftp, src, target, this.meter(src)), target, options.preserve ? () => this.preserveRemote(src, target) : undefined);
    });
  }

  /** A progress callback for a resumed transfer of `src`, when the meter is drawn. */
  private meter(src: string): ((done: number, total: number) => void) | undefined {
    if (!this.drawProgress) return undefined;
    const draw = progressMeter(this.io.out, true);
    return (done, total) => draw(printable(basename(src)), done, total);
  }

  /** Runs a resumed transfer, telling when there was nothing left to copy, then applies -p. */
  private async resumed(run: () => Promise<{ from: number; total: number }>, target: string, preserve: (() => Promise<void>) | undefined): Promise<void> {
    let result;
    try {
      result = await run();
    } catch (error) {
      if (error instanceof ResumeError) throw new CommandError(error.message);
      throw error;
    }
    // On stderr and even when quiet (-q, -b), as sftp says it.
    if (result.from === result.total) this.io.err(`File "${printable(target)}" was not modified\n`);
    await preserve?.();
  }

  /** -p after a resumed download: the remote file's mode and times on the local copy. */
  private async preserveLocal(src: string, target: string): Promise<void> {
    const attrs = await this.sftp.stat(src);
    if (attrs.permissions !== undefined) await chmod(target, attrs.permissions & 0o7777);
    if (attrs.atime !== undefined && attrs.mtime !== undefined) await utimes(target, attrs.atime, attrs.mtime);
  }

  /** -p after a resumed upload: the local file's mode and times on the remote copy. */
  private async preserveRemote(src: string, target: string): Promise<void> {
    const info = await stat(src);
    await this.sftp.setstat(target, { permissions: info.mode & 0o7777, atime: Math.floor(info.atimeMs / 1000), mtime: Math.floor(info.mtimeMs / 1000) });
  }

  private async absolute(p: string): Promise<string> {
    if (p.startsWith('/')) return p;
    const cwd = await this.sftp.getcwd();
    return `${cwd.replace(/\/+$/, '')}/${p}`;
  }

  private async link(command: string, args: readonly string[]): Promise<void> {
    const parsed = this.parse(args, 's', 'ln [-s] oldpath newpath');
    const [from, to] = this.two(parsed.operands, `${command === 'ln' ? 'ln [-s]' : 'symlink'} oldpath newpath`);
    if (command === 'symlink' || hasFlag(parsed, 's')) await this.sftp.symlink(from, to);
    else await this.sftp.link(from, to);
  }

  private async change(command: 'chmod' | 'chown' | 'chgrp', args: readonly string[]): Promise<void> {
    const usage = `${command} [-h] ${command === 'chmod' ? 'mode' : command === 'chown' ? 'own' : 'grp'} path`;
    const parsed = this.parse(args, 'h', usage);
    const [value, ...paths] = parsed.operands;
    if (value === undefined || paths.length === 0) throw new CommandError(`usage: ${usage}`);
    const followSymlinks = !hasFlag(parsed, 'h');
    if (command === 'chmod') {
      if (!/^[0-7]{1,4}$/.test(value)) throw new CommandError(`Invalid mode "${printable(value)}"`);
      await this.eachMatch(await this.remoteGlob(paths), async (p) => {
        if (!this.io.quiet) this.io.out(`Changing mode on ${printable(await this.absolute(p))}\n`);
        await this.sftp.chmod(p, parseInt(value, 8), { followSymlinks });
      });
      return;
    }
    const id = Number(value);
    // SFTP carries ids as uint32: a larger one is refused here, not failed on the wire.
    if (!/^\d+$/.test(value) || id > 0xffffffff) throw new CommandError(`Invalid ${command === 'chown' ? 'uid' : 'gid'} "${printable(value)}": must be numeric, at most 4294967295`);
    await this.eachMatch(await this.remoteGlob(paths), async (p) => {
      const attrs = followSymlinks ? await this.sftp.stat(p) : await this.sftp.lstat(p);
      if (attrs.uid === undefined || attrs.gid === undefined) throw new CommandError(`${printable(p)}: the server gave no numeric owner and group`);
      if (!this.io.quiet) this.io.out(`Changing ${command === 'chown' ? 'owner' : 'group'} on ${printable(await this.absolute(p))}\n`);
      await this.sftp.chown(p, command === 'chown' ? id : attrs.uid, command === 'chgrp' ? id : attrs.gid, { followSymlinks });
    });
  }

  /** `act` on each path a wildcard matched: up to the first failure, or past every one (see execute). */
  private eachMatch(paths: readonly string[], act: (p: string) => Promise<void>): Promise<void> {
    return this.eachSource(paths, act, this.stopAtFailure);
  }

  private async df(args: readonly string[]): Promise<void> {
    const parsed = this.parse(args, 'hi', 'df [-h] [-i] [path]');
    const target = parsed.operands[0] ?? '.';
    const v = await this.sftp.statvfs(target);
    if (hasFlag(parsed, 'i')) {
      const used = v.files - v.ffree;
      this.io.out(`${'Inodes'.padStart(12)} ${'Used'.padStart(12)} ${'Avail'.padStart(12)} ${'(root)'.padStart(12)} ${'%Capacity'.padStart(10)}\n`);
      this.io.out(`${String(v.files).padStart(12)} ${String(used).padStart(12)} ${String(v.favail).padStart(12)} ${String(v.ffree).padStart(12)} ${`${v.files > 0 ? Math.floor((100 * used) / v.files) : 0}%`.padStart(10)}\n`);
      return;
    }
    const unit = v.frsize || v.bsize;
    const size = v.blocks * unit;
    const used = (v.blocks - v.bfree) * unit;
    const avail = v.bavail * unit;
    const root = v.bfree * unit;
    const capacity = v.blocks > 0 ? Math.floor((100 * (v.blocks - v.bfree)) / v.blocks) : 0;
    const show = (n: number): string => (hasFlag(parsed, 'h') ? formatBytes(n) : String(Math.floor(n / 1024)));
    this.io.out(`${'Size'.padStart(12)} ${'Used'.padStart(12)} ${'Avail'.padStart(12)} ${'(root)'.padStart(12)} ${'%Capacity'.padStart(10)}\n`);
    this.io.out(`${show(size).padStart(12)} ${show(used).padStart(12)} ${show(avail).padStart(12)} ${show(root).padStart(12)} ${`${capacity}%`.padStart(10)}\n`);
  }

  /** lmkdir: one local directory (the name as given, even one starting with '-'), as mkdir(2) makes it. */
  private async lmkdir(name: string): Promise<void> {
    try {
      await mkdir(this.localPath(name));
    } catch (error) {
      throw new CommandError(`Couldn't create local directory "${name}": ${systemMessage(error)}`);
    }
  }

  /** `!command` (or `!` for a shell): runs in the local directory. */
  private async local(command: string): Promise<void> {
    if (command === '') {
      if (!this.io.terminal) throw new CommandError('no terminal for an interactive shell', { abortsBatch: false });
      await this.spawnLocal(process.env['SHELL'] ?? '/bin/sh', []);
      return;
    }
    await this.spawnLocal('/bin/sh', ['-c', command]);
  }

  private spawnLocal(program: string, args: readonly string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(program, args, { cwd: this.localCwd, stdio: this.io.terminal ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
      child.stdout?.setEncoding('utf8').on('data', (t: string) => this.io.out(t));
      child.stderr?.setEncoding('utf8').on('data', (t: string) => this.io.err(t));
      // A local command's own failure never ends a batch (sftp's local_do_shell and local_do_ls).
      child.once('error', (e) => reject(new CommandError(`${program}: ${e.message}`, { abortsBatch: false })));
      child.once('close', (code, signal) => {
        if (code === 0) resolve();
        else reject(new CommandError(`${program === '/bin/sh' ? 'Shell' : program} exited ${signal ? `on signal ${signal}` : `with status ${code ?? '?'}`}`, { abortsBatch: false }));
      });
    });
  }
}
