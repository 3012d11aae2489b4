/**
 * The workspace agrees with the package table: every published package declares only allowed
 * workspace dependencies, its tsconfig references are exactly those dependencies (so `tsc -b`
 * builds in dependency order), and its package.json has what publishing needs.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALLOWED_IMPORTS, PACKAGE_DIRS } from '../src/layers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface PackageJson {
  name: string;
  private?: boolean;
  type?: string;
  engines?: { node?: string };
  files?: string[];
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  publishConfig?: { access?: string };
}

const readJson = <T,>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

const workspaceDirs = ['packages', 'apps', 'tooling'].flatMap((group) =>
  existsSync(path.join(root, group))
    ? readdirSync(path.join(root, group))
        .map((d) => `${group}/${d}`)
        .filter((d) => existsSync(path.join(root, d, 'package.json')))
    : [],
);

describe('workspace', () => {
  it('maps every workspace folder to a package in the layers table', () => {
    for (const dir of workspaceDirs) {
      const pkg = readJson<PackageJson>(path.join(root, dir, 'package.json'));
      expect(PACKAGE_DIRS[pkg.name as keyof typeof PACKAGE_DIRS], `${dir} (${pkg.name})`).toBe(dir);
    }
  });

  const published = workspaceDirs
    .map((dir) => ({ dir, pkg: readJson<PackageJson>(path.join(root, dir, 'package.json')) }))
    .filter(({ pkg }) => !pkg.private);

  it('has published packages to check', () => {
    expect(published.map((p) => p.pkg.name)).toContain('@ssh/wire');
  });

  for (const { dir, pkg } of published) {
    describe(pkg.name, () => {
      const deps = Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith('@ssh/'));

      it('depends only on the packages the table allows', () => {
        const allowed = ALLOWED_IMPORTS[pkg.name] ?? [];
        expect(deps.filter((d) => !allowed.includes(d))).toEqual([]);
      });

      it('references exactly its workspace dependencies in tsconfig.json', () => {
        const tsconfig = readJson<{ references?: { path: string }[] }>(path.join(root, dir, 'tsconfig.json'));
        const refs = (tsconfig.references ?? []).map((r) => path.resolve(root, dir, r.path)).sort();
        const expected = deps.map((d) => path.resolve(root, PACKAGE_DIRS[d as keyof typeof PACKAGE_DIRS])).sort();
        expect(refs).toEqual(expected);
      });

      it('is listed in the root tsconfig.json references', () => {
        const rootRefs = readJson<{ references: { path: string }[] }>(path.join(root, 'tsconfig.json')).references.map((r) => r.path);
        expect(rootRefs).toContain(dir);
      });

      it('is an ESM package ready to publish', () => {
        expect(pkg.type).toBe('module');
        expect(pkg.engines?.node).toBe('>=20.19');
        expect(pkg.files).toContain('dist');
        expect(pkg.publishConfig?.access).toBe('public');
        expect(pkg.exports?.['.']).toMatchObject({ types: './dist/index.d.ts', default: './dist/index.js' });
        expect(existsSync(path.join(root, dir, 'README.md'))).toBe(true);
      });
    });
  }
});
