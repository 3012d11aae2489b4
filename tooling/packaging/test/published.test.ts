/**
 * The packages as npm users get them. Every public package is packed (`pnpm pack`, as `changeset
 * publish` packs it) and installed into fresh projects with npm, offline, beside the packed
 * third-party packages it needs: a project that installs only @ssh/keys (without the native
 * binding, as on a machine with no compiler), and one that installs @ssh/asyncssh and @ssh/cli
 * (building the binding as an install does). Each runs a small program through the public entries,
 * a strict TypeScript project type-checks against the installed declarations, and every bin runs.
 * Also checked from the tarballs themselves: each `exports` and `bin` target is shipped, and no
 * two packages claim one bin name.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, removeTempDir, run, type EnvVars } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ROOT,
  binEntries,
  declaredDependencies,
  dependencyClosure,
  installTarballs,
  packAll,
  publicPackages,
  readManifest,
  thirdPartyDirs,
  type Manifest,
} from '../src/index.ts';

const CONSUMERS = fileURLToPath(new URL('../consumers/', import.meta.url));

let tmp: string;
let env: EnvVars;
let tarballs: Map<string, string>;
/** Source directory of every package that can be installed (ours and third-party), by name. */
const sourceDirs = new Map<string, string>();
const packages = publicPackages();

beforeAll(async () => {
  tmp = await makeTempDir('packaging');
  // npm and pnpm get a home and a cache of their own: nothing from the developer's ~/.npmrc.
  env = { HOME: path.join(tmp, 'home'), npm_config_cache: path.join(tmp, 'npm-cache'), npm_config_update_notifier: 'false' };
  for (const p of packages) sourceDirs.set(p.manifest.name, p.dir);
  for (const [name, dir] of thirdPartyDirs(packages)) sourceDirs.set(name, dir);
  tarballs = await packAll(path.join(tmp, 'tarballs'), env);
  for (const p of packages) {
    const dir = unpackedDir(p.manifest.name);
    await mkdir(dir, { recursive: true });
    await run('tar', ['-xzf', tarballs.get(p.manifest.name) as string, '-C', dir], { timeoutMs: 30_000 });
  }
});

/** Where a package's tarball is unpacked (its files under `package/`, as npm packs them). */
function unpackedDir(name: string): string {
  return path.join(tmp, 'unpacked', name.replace('/', '__'));
}

afterAll(async () => {
  if (tmp !== undefined) await removeTempDir(tmp);
});

const closure = (names: readonly string[]): string[] =>
  dependencyClosure(names, tarballs, (name) => declaredDependencies(sourceDirs.get(name) as string));

/** The files a tarball holds, relative to its package root. */
async function tarballFiles(tarball: string): Promise<Set<string>> {
  const out = await run('tar', ['-tzf', tarball], { timeoutMs: 30_000 });
  return new Set(out.stdout.split('\n').filter((l) => l.startsWith('package/')).map((l) => l.slice('package/'.length)));
}

/** Every file path an `exports` map points at, for the conditions npm users resolve (not `@ssh/source`). */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports];
  if (exports === null || typeof exports !== 'object') return [];
  return Object.entries(exports as Record<string, unknown>)
    .filter(([key]) => key !== '@ssh/source')
    .flatMap(([key, value]) => (key.includes('*') ? [] : exportTargets(value)));
}

/** The .js files under `dir`, recursively (with `declarations`, the .d.ts files too). */
function jsFiles(dir: string, declarations = false): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && (e.name.endsWith('.js') || (declarations && e.name.endsWith('.d.ts'))))
    .map((e) => path.join(e.parentPath, e.name));
}

/** The bare module specifiers (not relative paths) a compiled ES module imports or re-exports, statically or dynamically. */
function bareImports(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:^|[\s;}])(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]|(?:^|[\s;}])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
    const specifier = m[1] ?? m[2] ?? m[3];
    if (specifier !== undefined && !specifier.startsWith('.') && !specifier.startsWith('/')) found.push(specifier);
  }
  return found;
}

/** The package a bare specifier names (`@scope/name/sub.js` -> `@scope/name`). */
const packageOf = (specifier: string): string => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] as string));

const normal = (file: string): string => path.posix.normalize(file).replace(/^\.\//, '');

describe('tarballs', () => {
  it('ship every exports and bin target of their package.json', async () => {
    const missing: string[] = [];
    for (const p of packages) {
      const files = await tarballFiles(tarballs.get(p.manifest.name) as string);
      const targets = [...exportTargets(p.manifest.exports), ...binEntries(p.manifest).map(([, file]) => file)];
      expect(targets.length, p.manifest.name).toBeGreaterThan(0);
      for (const target of targets) if (!files.has(normal(target))) missing.push(`${p.manifest.name}: ${target}`);
      // Tests, configs and build output of the workspace stay out.
      for (const file of files) if (/^(test|node_modules)\/|tsbuildinfo$/.test(file)) missing.push(`${p.manifest.name} ships ${file}`);
    }
    expect(missing).toEqual([]);
  });

  it('claim each bin name once across the packages', () => {
    const owners = new Map<string, string[]>();
    for (const p of packages) for (const [name] of binEntries(p.manifest)) owners.set(name, [...(owners.get(name) ?? []), p.manifest.name]);
    expect([...owners].filter(([, names]) => names.length > 1)).toEqual([]);
  });

  it('import only node built-ins, themselves and the packages they declare', () => {
    // What npm's flat node_modules would hide (a package found because a sibling brought it) and
    // pnpm's isolated one would not.
    const undeclared: string[] = [];
    for (const p of packages) {
      const root = path.join(unpackedDir(p.manifest.name), 'package');
      const declared = new Set([p.manifest.name, ...Object.keys(readManifest(root).dependencies ?? {})]);
      for (const file of jsFiles(path.join(root, 'dist'))) {
        for (const specifier of bareImports(readFileSync(file, 'utf8'))) {
          const name = packageOf(specifier);
          if (!specifier.startsWith('node:') && !builtinModules.includes(name) && !declared.has(name)) undeclared.push(`${p.manifest.name}: ${path.relative(root, file)} imports ${specifier}`);
        }
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('declare no dependency that neither their code nor their declarations import', () => {
    // Each one is a package every user installs for nothing.
    const unused: string[] = [];
    for (const p of packages) {
      const root = path.join(unpackedDir(p.manifest.name), 'package');
      const imported = new Set(
        jsFiles(path.join(root, 'dist'), true).flatMap((file) =>
          bareImports(readFileSync(file, 'utf8')).map(packageOf),
        ),
      );
      for (const name of Object.keys(readManifest(root).dependencies ?? {})) if (!imported.has(name)) unused.push(`${p.manifest.name}: ${name}`);
    }
    expect(unused).toEqual([]);
  });

  it('depend on versions of each other that the packed ones satisfy', async () => {
    const versions = new Map(packages.map((p) => [p.manifest.name, p.manifest.version]));
    for (const p of packages) {
      const packed: Manifest = readManifest(path.join(unpackedDir(p.manifest.name), 'package'));
      for (const [name, range] of Object.entries(packed.dependencies ?? {})) {
        expect(range, `${p.manifest.name} -> ${name}`).not.toMatch(/^workspace:/);
        if (versions.has(name)) expect(range, `${p.manifest.name} -> ${name}`).toBe(`^${versions.get(name)}`);
      }
    }
  });
});

describe('a project that installs @ssh/keys alone', () => {
  let dir: string;
  beforeAll(async () => {
    dir = path.join(tmp, 'keys-only');
    // No native build: as on a machine without a compiler, where node:crypto stands in.
    await installTarballs(dir, closure(['@ssh/keys']), { ...env, SSH_CRYPTO_NATIVE: '0' });
  });

  it('gets @ssh/keys and what it needs, and nothing of the connection stack', () => {
    expect(readdirSync(path.join(dir, 'node_modules', '@ssh')).sort()).toEqual(['crypto', 'crypto-native', 'keys', 'wire']);
    expect(existsSync(path.join(dir, 'node_modules', '@ssh', 'crypto-native', 'build'))).toBe(false);
  });

  it('generates, exports, imports, signs and certifies keys through the public entry', async () => {
    await copyFile(path.join(CONSUMERS, 'keys-only.mjs'), path.join(dir, 'keys-only.mjs'));
    const out = await run(process.execPath, ['keys-only.mjs'], { cwd: dir, env, timeoutMs: 60_000 });
    expect(out.stdout).toMatch(/^keys ok ssh-ed25519 SHA256:/);
  });

  it('loads through require() from CommonJS too (node >= 20.19 loads ES modules so)', async () => {
    const probe = "const { generatePrivateKey } = require('@ssh/keys'); console.log(generatePrivateKey('ssh-ed25519').algorithm);";
    const out = await run(process.execPath, ['--no-warnings', '-e', probe], { cwd: dir, env, timeoutMs: 30_000 });
    expect(out.stdout.trim()).toBe('ssh-ed25519');
  });

  it('keeps internal modules private', async () => {
    const probe = "import('@ssh/keys/internal/anything').then(() => process.exit(1), (e) => { console.log(e.code); })";
    const out = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: dir, env, timeoutMs: 30_000 });
    expect(out.stdout.trim()).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});

describe('a project that installs @ssh/asyncssh and @ssh/cli', () => {
  let dir: string;
  beforeAll(async () => {
    dir = path.join(tmp, 'umbrella');
    await installTarballs(dir, closure(['@ssh/asyncssh', '@ssh/cli']), env);
  });

  it('builds the native binding on install, and loads it', async () => {
    expect(existsSync(path.join(dir, 'node_modules', '@ssh', 'crypto-native', 'build', 'Release', 'ssh_crypto_native.node'))).toBe(true);
    const probe = "import { nativeStatus } from '@ssh/crypto-native'; console.log(JSON.stringify(nativeStatus()));";
    const out = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: dir, env, timeoutMs: 30_000 });
    expect(JSON.parse(out.stdout)).toMatchObject({ available: true });
  });

  it('runs a command and an SFTP request on its own server through the public entry', async () => {
    await copyFile(path.join(CONSUMERS, 'umbrella.mjs'), path.join(dir, 'umbrella.mjs'));
    const out = await run(process.execPath, ['umbrella.mjs'], { cwd: dir, env, timeoutMs: 60_000 });
    expect(out.stdout.trim()).toBe('asyncssh ok');
  });

  it('loads @ssh/asyncssh through require() as well', async () => {
    const probe = "const { connect, listen } = require('@ssh/asyncssh'); console.log(typeof connect, typeof listen);";
    const out = await run(process.execPath, ['--no-warnings', '-e', probe], { cwd: dir, env, timeoutMs: 30_000 });
    expect(out.stdout.trim()).toBe('function function');
  });

  it('type-checks a strict NodeNext TypeScript project against the installed declarations', async () => {
    await copyFile(path.join(CONSUMERS, 'consumer.ts'), path.join(dir, 'consumer.ts'));
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        exactOptionalPropertyTypes: true,
        noEmit: true,
        // The declarations use node's types, as every node project has them; not skipLibCheck:
        // the installed .d.ts files themselves must compile.
        typeRoots: [path.join(ROOT, 'node_modules', '@types')],
        types: ['node'],
      },
      files: ['consumer.ts'],
    };
    await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const out = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, env, timeoutMs: 120_000, allowFailure: true });
    expect(`${out.stdout}${out.stderr}`).toBe('');
    expect(out.exitCode).toBe(0);
  });

  it('runs the main job, ssh-run against its embedded server, from the installed bin', async () => {
    const bin = path.join(dir, 'node_modules', '.bin', 'ssh-run');
    const out = await run(bin, ['--', 'echo packed; exit 3'], { cwd: dir, env, timeoutMs: 60_000, allowFailure: true });
    expect(out.stdout).toMatch(/^embedded SSH server on 127\.0\.0\.1:\d+, host key SHA256:/);
    expect(out.stdout).toContain('\npacked\nexit status: 3\n');
    expect(out.exitCode).toBe(3);
  });

  it('installs every bin, each answering --help', async () => {
    const bins = packages.filter((p) => ['@ssh/asyncssh', '@ssh/cli'].includes(p.manifest.name)).flatMap((p) => binEntries(p.manifest).map(([name]) => name));
    expect(bins.length).toBeGreaterThan(0);
    for (const name of bins) {
      const out = await run(path.join(dir, 'node_modules', '.bin', name), ['--help'], { cwd: dir, env, timeoutMs: 30_000, allowFailure: true });
      expect(out.exitCode, `${name} --help: ${out.stderr}`).toBe(0);
      expect(`${out.stdout}${out.stderr}`, name).toMatch(/usage/i);
    }
  });
});
