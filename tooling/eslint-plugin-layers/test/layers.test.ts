/** The layering rule, run through the repository's real ESLint config on fixture files. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const fixture = (rel: string): string => path.join(here, 'fixtures', rel);

async function layerMessages(file: string): Promise<string[]> {
  // The repository's own config; `ignore: false` lints the fixtures it otherwise skips, and only
  // the layering rule runs (the fixtures belong to no tsconfig, so type-aware rules cannot).
  const eslint = new ESLint({
    cwd: root,
    ignore: false,
    ruleFilter: ({ ruleId }) => ruleId === 'layers/layers',
    overrideConfig: { languageOptions: { parserOptions: { project: null, projectService: false } } },
  });
  const [result] = await eslint.lintText(readFileSync(file, 'utf8'), { filePath: file });
  const fatal = result?.messages.filter((m) => m.fatal) ?? [];
  expect(fatal).toEqual([]);
  return (result?.messages ?? []).filter((m) => m.ruleId === 'layers/layers').map((m) => m.message);
}

describe('layers/layers', () => {
  it('rejects @ssh/wire importing @ssh/transport', async () => {
    const messages = await layerMessages(fixture('packages/wire/src/upward-import.ts'));
    expect(messages).toEqual([
      '@ssh/wire may not import @ssh/transport (allowed: no workspace package); see the package table in DEVELOPERS.md',
    ]);
  });

  it('accepts relative imports within a package', async () => {
    expect(await layerMessages(fixture('packages/wire/src/allowed.ts'))).toEqual([]);
  });

  it('rejects deep imports and relative paths into another package', async () => {
    const messages = await layerMessages(fixture('packages/keys/src/deep-and-relative.ts'));
    expect(messages).toEqual([
      'import @ssh/wire through its public entry point, not "@ssh/wire/src/reader.ts"',
      'relative import "../../wire/src/writer.ts" leaves @ssh/keys; import the other package by name',
    ]);
  });

  it('lets tests use tooling but not higher packages', async () => {
    const messages = await layerMessages(fixture('packages/keys/test/uses-interop.fixture.ts'));
    expect(messages).toEqual([
      '@ssh/keys may not import @ssh/asyncssh (allowed: @ssh/wire, @ssh/crypto, @ssh/crypto-native); see the package table in DEVELOPERS.md',
    ]);
  });
});
