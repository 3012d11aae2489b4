/**
 * Fresh npm projects that install packed tarballs, offline: a project that depends on a package
 * gets it and everything it needs, each from its tarball, and nothing else.
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run, type EnvVars, type RunResult } from '@ssh/interop';
import { readManifest } from './pack.ts';

/**
 * `names` and every package they depend on, transitively, as tarball paths. `tarballs` maps each
 * package name to its tarball; `dependenciesOf` names a package's dependencies.
 */
export function dependencyClosure(names: readonly string[], tarballs: ReadonlyMap<string, string>, dependenciesOf: (name: string) => readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    if (!tarballs.has(name)) throw new Error(`no tarball for ${name}`);
    seen.add(name);
    for (const dep of dependenciesOf(name)) visit(dep);
  };
  for (const name of names) visit(name);
  return [...seen].map((name) => tarballs.get(name) as string);
}

/** The dependencies a manifest in `dir` declares (for dependencyClosure over installed sources). */
export function declaredDependencies(dir: string): string[] {
  return Object.keys(readManifest(dir).dependencies ?? {});
}

/**
 * A new project in `dir` (an ES module package) with `tarballs` installed by `npm install
 * --offline`: npm sees no registry, so a dependency missing from the tarballs fails the install.
 */
export async function installTarballs(dir: string, tarballs: readonly string[], env: EnvVars): Promise<RunResult> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'packed-consumer', private: true, type: 'module' }, null, 2)}\n`);
  return run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], { cwd: dir, env, timeoutMs: 240_000 });
}
