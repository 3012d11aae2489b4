/**
 * The programs' security-key notices and PIN prompt: worded as OpenSSH's ssh words them, printed
 * on stderr before the authenticator waits (ssh-sftp logging in to sshd with an ed25519-sk key
 * through OpenSSH's middleware interface), and the PIN read from the controlling terminal with
 * echo off (a pty from script(1)), or not at all without one.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importPrivateKey } from '@ssh/asyncssh';
import { makeTempDir, runSshKeygen, startSoftSkProvider, startSshd, type SoftSkProvider, type SshdServer } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpMain } from '../src/index.ts';
import { securityKeyPrompts } from '../src/security-key-prompts.ts';
import { at, captureIo, clientHome, withHome } from './helpers/peers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const promptsModule = path.join(here, '../src/security-key-prompts.ts');

/** Runs readFromTerminal() in a child node: under `script` (a pty fed `typed`) or with no terminal at all (setsid). */
function readInChild(mode: 'pty' | 'no-terminal', typed = ''): Promise<{ answer: unknown; output: string }> {
  const program = `const { readFromTerminal } = await import(${JSON.stringify(promptsModule)}); const answer = await readFromTerminal('PIN please: '); process.stdout.write('ANSWER=' + JSON.stringify(answer ?? null) + '\\n');`;
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', program];
  const quoted = node.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const [file, args] = mode === 'pty' ? ['script', ['-qec', quoted, '/dev/null']] : ['setsid', ['-w', ...node]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: here });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('close', () => {
      clearTimeout(timer);
      const m = /ANSWER=(.*)/.exec(output);
      if (m === null) reject(new Error(`no answer from the child: ${output}`));
      else resolve({ answer: JSON.parse(m[1] as string) as unknown, output });
    });
    // Typed once the prompt is up, as a user would.
    if (typed !== '') {
      const waitForPrompt = setInterval(() => {
        if (!output.includes('PIN please: ')) return;
        clearInterval(waitForPrompt);
        child.stdin.write(typed);
      }, 20);
      child.once('close', () => clearInterval(waitForPrompt));
    }
  });
}

describe('reading the PIN', () => {
  it('reads it from the terminal with echo off, erasing what was rubbed out', async () => {
    const { answer, output } = await readInChild('pty', '12x\x7f34\r');
    expect(answer).toBe('1234');
    // Nothing typed is echoed: only the prompt and the line end reach the terminal.
    const terminal = output.slice(0, output.indexOf('ANSWER='));
    expect(terminal).toContain('PIN please: ');
    expect(terminal).not.toMatch(/[1234x]/);
  });

  it('gives up on ^C', async () => {
    expect((await readInChild('pty', '12\x03')).answer).toBeNull();
  });

  it('answers nothing without a controlling terminal', async () => {
    expect((await readInChild('no-terminal')).answer).toBeNull();
  });
});

describe('ssh-sftp with a security key', () => {
  let soft: SoftSkProvider;
  let sshd: SshdServer;
  let keyFile: string;
  let home: string;

  beforeAll(async () => {
    soft = await startSoftSkProvider();
    // The provider library is loaded in this process, and reaches the authenticator through this.
    Object.assign(process.env, soft.env);
    const dir = await makeTempDir('cli-sk');
    keyFile = path.join(dir, 'id_ed25519_sk');
    await runSshKeygen(['-t', 'ed25519-sk', '-w', soft.library, '-N', '', '-C', 'cli sk', '-f', keyFile], { env: soft.env });
    sshd = await startSshd({ authorizedKeys: [readFileSync(`${keyFile}.pub`, 'utf8').trim()] });
    home = await clientHome([sshd]);
  });
  afterAll(async () => {
    await sshd?.stop();
    await soft?.stop();
  });

  it('are ssh\'s: a touch notice per signature, a PIN prompt naming the key', async () => {
    const key = importPrivateKey(readFileSync(keyFile));
    const said: string[] = [];
    const asked: string[] = [];
    const prompts = securityKeyPrompts(
      (t) => said.push(t),
      (prompt) => {
        asked.push(prompt);
        return Promise.resolve('1234');
      },
    );
    prompts.touch?.(key);
    expect(said).toEqual([`Confirm user presence for key ED25519-SK ${key.getFingerprint()}\n`]);
    expect(await prompts.pin?.(key)).toBe('1234');
    expect(asked).toEqual([`Enter PIN for ED25519-SK key ${key.getFingerprint()}: `]);
  });

  it('says on stderr that the authenticator waits for a touch, then logs in', async () => {
    const batchFile = path.join(home, 'batch');
    writeFileSync(batchFile, 'pwd\n');
    const c = captureIo();
    const { port, dest } = at(sshd);
    const code = await withHome(home, () => sftpMain(['-b', batchFile, '-P', port, '-i', keyFile, '-o', `SecurityKeyProvider=${soft.library}`, dest], c.io));
    expect(c.err()).toContain(`Confirm user presence for key ED25519-SK ${importPrivateKey(readFileSync(keyFile)).getFingerprint()}\n`);
    expect(code).toBe(0);
    expect(c.out()).toContain('Remote working directory:');
  });
});
