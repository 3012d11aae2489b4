/** proxyCommand's splitting (POSIX shell word splitting and quoting, as ssh's shell would read a ProxyCommand line; AsyncSSH's shlex.split differs only in keeping a backslash before $, ` and newline inside double quotes) and its failures. */
import { describe, expect, it } from 'vitest';
import { ConnectionLost, connect } from '../src/index.ts';
import { splitCommandLine } from '../src/proxy-command.ts';

describe('splitCommandLine', () => {
  it.each([
    ['ssh -W %h:%p jump', ['ssh', '-W', '%h:%p', 'jump']],
    ['  nc\t host  22 \n', ['nc', 'host', '22']],
    [`cmd 'a b' "c d" e\\ f`, ['cmd', 'a b', 'c d', 'e f']],
    [`a'b'"c"d`, ['abcd']],
    [`"a \\" \\\\ \\$ \\x"`, ['a " \\ $ \\x']],
    [`'single \\ stays'`, ['single \\ stays']],
    [`'' ""`, ['', '']],
    ['x\\\ny', ['xy']],
    ['"x\\\ny"', ['xy']],
    ['semi;colon | pipe > redirect $HOME `tick`', ['semi;colon', '|', 'pipe', '>', 'redirect', '$HOME', '`tick`']],
    ['', []],
  ] as const)('%j', (text, words) => {
    expect(splitCommandLine(text)).toEqual(words);
  });

  it.each([`'open`, `"open`, `"esc\\"`, 'trailing\\'])('refuses %j', (text) => {
    expect(() => splitCommandLine(text)).toThrow(SyntaxError);
  });
});

describe('a proxy command that cannot run', () => {
  const base = { host: 'example.invalid', username: 'u', knownHosts: null, agentPath: null, config: null, clientKeys: [] } as const;

  it.each([
    ['a program that does not exist', ['/nonexistent/proxy-command']],
    ['an unbalanced quote', `nc 'host 22`],
    ['an empty command', ''],
    ['a command that exits at once', [process.execPath, '-e', 'process.exit(3)']],
  ] as const)('%s: ConnectionLost', async (_, proxyCommand) => {
    await expect(connect({ ...base, proxyCommand })).rejects.toBeInstanceOf(ConnectionLost);
  });
});
