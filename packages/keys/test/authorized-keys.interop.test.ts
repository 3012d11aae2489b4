/**
 * authorized_keys options against the real sshd: a throwaway sshd reads each line, the ssh client
 * logs in with the key, and whether sshd let it in (and what a command sees) is compared with
 * what importAuthorizedKeys makes of the same line.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importAuthorizedKeys } from '../src/index.ts';
import { testKey } from './helpers/keys.ts';
import { AuthorizedKeysSshd } from './helpers/sshd.ts';

const key = testKey('ssh-ed25519');
const keyText = new TextDecoder().decode(key.convertToPublic().exportPublicKey()).trim();
const CLIENT = { clientAddr: '127.0.0.1', clientHost: '127.0.0.1' };

let sshd: AuthorizedKeysSshd;
beforeAll(async () => {
  sshd = await AuthorizedKeysSshd.start(key);
}, 60_000);
afterAll(async () => {
  await sshd.stop();
});

/** Does our parser let `key` in with this options field, as sshd would? */
function oursAccepts(options: string): boolean {
  return importAuthorizedKeys(`${options} ${keyText}\n`).validate(key, CLIENT) !== undefined;
}

/** [test name, options field]: long fields are named by their start and length. */
const named = (fields: readonly string[]): [string, string][] => fields.map((f) => [f.length > 80 ? `${f.slice(0, 40)}... (${f.length} chars)` : f, f]);

describe('authorized_keys options as sshd reads them', () => {
  test.each(named([
    // sshd refuses a line that repeats command=, from= or principals=.
    'command="echo a",command="echo b"',
    'from="127.0.0.1",from="127.0.0.1"',
    'principals="a",principals="b"',
    // Of several expiry-time= the earliest holds, wherever it stands.
    'expiry-time="20990101Z",expiry-time="20200101Z"',
    'expiry-time="20200101Z",expiry-time="20990101Z"',
    'expiry-time="20990101Z",expiry-time="20980101Z"',
    // Environment names are letters, digits and underscores in any order.
    'environment="1A=2"',
    'environment="=x"',
    // One permitopen= / permitlisten= names one host:port, the port 1-65535 or *; permitlisten
    // also takes a bare port. sshd refuses the line otherwise.
    'permitopen="h:1,h:2"',
    'permitopen="h"',
    'permitopen="h:0"',
    'permitopen="h:99999"',
    'permitopen="h:x"',
    'permitopen=":80"',
    'permitopen="[::1]:80"',
    'permitopen="[::1]"',
    'permitopen="*:*"',
    'permitopen="h/80"',
    'permitlisten="8080"',
    'permitlisten="h"',
    'permitlisten="[::1]"',
    'permitlisten="localhost:*"',
    // Empty options between, before and after commas are skipped.
    'no-pty,,no-pty',
    ',no-pty',
    'no-pty,',
    // Every flag but restrict and cert-authority takes a no- prefix, and each has a plain form.
    'touch-required',
    'no-touch-required,touch-required',
    'no-verify-required',
    'no-restrict',
    // Times may end in UTC as well as Z.
    'expiry-time="20990101UTC"',
    'expiry-time="20200101utc"',
    'expiry-time="19700101Z"',
    // tunnel= takes any, or a device number up to 2147483645.
    'tunnel="any"',
    'tunnel="ANY"',
    'tunnel="2147483645"',
    'tunnel="2147483646"',
    // At most 4,097 of them.
    Array(4097).fill('permitopen="h:1"').join(','),
    Array(4098).fill('permitlisten="h:1"').join(','),
  ]))('%s', async (_, options) => {
    const theirs = await sshd.login(`${options} ${keyText}\n`);
    expect(oursAccepts(options)).toBe(theirs.ok);
  });

  test('the first environment= of a name holds', async () => {
    const options = 'environment="A=1",environment="B=x",environment="A=2"';
    const theirs = await sshd.login(`${options} ${keyText}\n`, 'echo "$A$B"');
    expect(theirs.stdout).toBe('1x\n');
    const env = new Map(importAuthorizedKeys(`${options} ${keyText}`).entries[0]?.options.environment.map((e) => e.split('=') as [string, string]));
    expect(`${env.get('A')}${env.get('B')}\n`).toBe(theirs.stdout);
  });
});
