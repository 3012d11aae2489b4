/**
 * The README's examples: every ```ts block, in order, forms one program that must typecheck under
 * the package's strict settings and run without throwing (imports of '@ssh/keys' and
 * '@ssh/keys/node' point at the sources).
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, test } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The ```ts blocks of the README, in order. */
function codeBlocks(text: string): string[] {
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

/** One module: the blocks' imports merged at the top, their statements in order in `main`. */
function program(blocks: readonly string[]): string {
  const imports = new Map<string, Set<string>>();
  const body: string[] = [];
  for (const block of blocks) {
    for (const line of block.split('\n')) {
      const m = /^import \{ (.+) \} from '([^']+)';$/.exec(line);
      if (!m) {
        body.push(line);
        continue;
      }
      const from = (m[2] as string).replace(/^@ssh\/keys\/node$/, '../src/node/index.ts').replace(/^@ssh\/keys$/, '../src/index.ts');
      const names = imports.get(from) ?? new Set<string>();
      for (const name of (m[1] as string).split(',')) names.add(name.trim());
      imports.set(from, names);
    }
  }
  const head = [...imports].map(([from, names]) => `import { ${[...names].join(', ')} } from '${from}';`);
  return `${head.join('\n')}\n\nexport async function main(): Promise<void> {\n${body.join('\n')}\n}\n`;
}

const blocks = codeBlocks(readme);
const dir = mkdtempSync(join(root, 'test', '.readme-'));
const file = join(dir, 'examples.ts');
writeFileSync(file, program(blocks).replaceAll("'../src/", "'../../src/"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README examples', () => {
  test('cover every use the issue names', () => {
    const text = blocks.join('\n');
    for (const use of [
      'generatePrivateKey',
      'getFingerprint',
      "'pkcs1-pem'",
      "'pkcs8-pem'",
      "'pkcs8-der'",
      "'putty'",
      "'rfc4716'",
      'importPrivateKey',
      'importPublicKey',
      '.sign(',
      '.verify(',
      'generateUserCertificate',
      'generateHostCertificate',
      'generateX509UserCertificate',
      'verifyX509Chain',
      'importKnownHosts',
      'hashHostname',
      'importAuthorizedKeys',
      'createSshsig',
      'validateSshsig',
      'importAllowedSigners',
      'verifySshsigForPrincipal',
      'loadKeypairs',
    ]) {
      expect({ use, shown: text.includes(use) }).toEqual({ use, shown: true });
    }
  });

  test('typecheck', () => {
    const parsed = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.test.json'), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    });
    if (!parsed) throw new Error('tsconfig.test.json did not parse');
    const options = { ...parsed.options, noEmit: true };
    const host = ts.createCompilerHost(options);
    const diagnostics = ts.getPreEmitDiagnostics(ts.createProgram([file], options, host)).filter((d) => d.file?.fileName === file);
    const messages = diagnostics.map((d) => {
      const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
      return `line ${at}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(messages).toEqual([]);
  }, 120_000);

  test('run', async () => {
    const log = console.log;
    const printed: unknown[][] = [];
    console.log = (...args: unknown[]) => void printed.push(args);
    try {
      const mod = (await import(pathToFileURL(file).href)) as { main: () => Promise<void> };
      await mod.main();
    } finally {
      console.log = log;
    }
    // What the examples print is what their comments say.
    expect(printed).toEqual([
      ['ssh-ed25519', 256, 'ED25519', 'me@example.com'],
      ['alice@example', ['alice'], 'uptime'],
      ['ecdsa-sha2-nistp256'],
      [1, 1, 0],
      ['uptime', false, ['LANG=C']],
      [true, 'file'],
      [['ssh-ed25519-cert-v01@openssh.com', 'ssh-ed25519']],
      [[1]],
    ]);
  }, 120_000);
});
