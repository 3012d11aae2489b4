/**
 * The workspace's public packages as npm users get them: each packed into a tarball with
 * `pnpm pack` (which writes `workspace:^` ranges as the versions they stand for, and leaves out
 * what `files` does not list), beside tarballs of the third-party packages they depend on, packed
 * from the copies pnpm installed, so that a fresh project can `npm install` any of them with
 * `--offline`: what it gets is exactly what the registry would serve, with no network involved.
 * @module
 */
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type EnvVars } from '@ssh/interop';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** What a package.json says, as far as packing and installing go. */
export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly bin?: string | Readonly<Record<string, string>>;
  readonly exports?: unknown;
  readonly files?: readonly string[];
  readonly dependencies?: Readonly<Record<string, string>>;
}

export interface WorkspacePackage {
  readonly dir: string;
  readonly manifest: Manifest;
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** Every package of packages/* and apps/* that is published (not private). */
export function publicPackages(): WorkspacePackage[] {
  return ['packages', 'apps']
    .flatMap((group) => readdirSync(path.join(ROOT, group)).map((d) => path.join(ROOT, group, d)))
    .filter((dir) => existsSync(path.join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: readManifest(dir) }))
    .filter((p) => p.manifest.private !== true);
}

/** The bin entries of a manifest as name -> path. */
export function binEntries(manifest: Manifest): Array<[string, string]> {
  const { bin } = manifest;
  if (bin === undefined) return [];
  if (typeof bin === 'string') return [[manifest.name.replace(/^@[^/]+\//, ''), bin]];
  return Object.entries(bin);
}

/** Where `name` resolves from `fromDir` as node would look it up (node_modules upwards), or undefined. */
function installedDir(fromDir: string, name: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return realpathSync(candidate);
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The installed directories of the third-party packages `packages` depend on, transitively
 * (pnpm keeps each one's own dependencies beside it).
 */
export function thirdPartyDirs(packages: readonly WorkspacePackage[]): Map<string, string> {
  const workspaceNames = new Set(packages.map((p) => p.manifest.name));
  const found = new Map<string, string>();
  const visit = (fromDir: string, deps: Readonly<Record<string, string>> | undefined): void => {
    for (const name of Object.keys(deps ?? {})) {
      if (workspaceNames.has(name) || found.has(name)) continue;
      const dir = installedDir(fromDir, name);
      if (dir === undefined) throw new Error(`${name} (a dependency in ${fromDir}) is not installed`);
      found.set(name, dir);
      visit(dir, readManifest(dir).dependencies);
    }
  };
  for (const p of packages) visit(p.dir, p.manifest.dependencies);
  return found;
}

/** The last line of `npm pack`/`pnpm pack` output that names a .tgz: the tarball written. */
function tarballFrom(stdout: string, dest: string): string {
  const name = stdout
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.endsWith('.tgz'))
    .at(-1);
  if (name === undefined) throw new Error(`pack printed no tarball name:\n${stdout}`);
  return path.isAbsolute(name) ? name : path.join(dest, path.basename(name));
}

/**
 * Packs every public workspace package and every third-party package they need into `dest`;
 * returns tarball paths by package name. The packages' dist must be built.
 */
export async function packAll(dest: string, env: EnvVars): Promise<Map<string, string>> {
  const packages = publicPackages();
  const tarballs = new Map<string, string>();
  for (const p of packages) {
    if (!existsSync(path.join(p.dir, 'dist'))) throw new Error(`${p.manifest.name} is not built (no ${path.join(p.dir, 'dist')}): run the build first`);
    const out = await run('pnpm', ['pack', '--pack-destination', dest], { cwd: p.dir, env, timeoutMs: 60_000 });
    tarballs.set(p.manifest.name, tarballFrom(out.stdout, dest));
  }
  for (const [name, dir] of thirdPartyDirs(packages)) {
    // Published packages may keep scripts that build from sources they do not ship.
    const out = await run('npm', ['pack', dir, '--pack-destination', dest, '--ignore-scripts'], { env, timeoutMs: 60_000 });
    tarballs.set(name, tarballFrom(out.stdout, dest));
  }
  return tarballs;
}
