/**
 * The READMEs' examples typecheck: every ```ts block of the top-level README and of each package's
 * README, the blocks of one README forming one program, compiled under this package's strict
 * settings against the packages' sources. An example that drifted from the API (a renamed
 * option, a method gone) fails here rather than in a user's editor. @ssh/keys runs its
 * README's examples as well (packages/keys/test/readme.test.ts).
 */

import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, test } from 'vitest';
import { readmeProgram } from './readme-program.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');

/** Every README with ```ts blocks, as a path relative to the repository. */
function readmes(): string[] {
  const found = ['README.md'];
  for (const dir of ['packages', 'apps']) {
    for (const name of readdirSync(join(repo, dir)).sort()) {
      const file = join(dir, name, 'README.md');
      try {
        if (readFileSync(join(repo, file), 'utf8').includes('```ts\n')) found.push(file);
      } catch {
        // A package without a README.
      }
    }
  }
  return found;
}

const dir = mkdtempSync(join(here, '.readme-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const programs = readmes().map((readme) => {
  const file = join(dir, `${readme.replace(/[/.]/g, '_')}.ts`);
  writeFileSync(file, readmeProgram(readFileSync(join(repo, readme), 'utf8')));
  return { readme, file };
});

describe('README examples', () => {
  test('are found in the top-level README and the packages', () => {
    expect(programs.map((p) => p.readme)).toEqual(expect.arrayContaining(['README.md', 'packages/asyncssh/README.md', 'packages/sftp/README.md', 'packages/keys/README.md']));
  });

  test('typecheck', () => {
    const parsed = ts.getParsedCommandLineOfConfigFile(join(here, '..', 'tsconfig.test.json'), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    });
    if (!parsed) throw new Error('tsconfig.test.json did not parse');
    // The sources, as the other tests see them (tsconfig.test.json clears the condition for dist checks).
    // Examples declare what they show without always using it.
    const options = { ...parsed.options, noEmit: true, customConditions: ['@ssh/source'], noUnusedLocals: false, noUnusedParameters: false };
    const program = ts.createProgram(
      programs.map((p) => p.file),
      options,
      ts.createCompilerHost(options),
    );
    const problems = programs.flatMap(({ readme, file }) =>
      ts
        .getPreEmitDiagnostics(program, program.getSourceFile(file))
        .filter((d) => d.file?.fileName === file)
        .map((d) => {
          const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
          return `${readme} (program line ${line}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
        }),
    );
    expect(problems).toEqual([]);
  }, 300_000);
});
