/** Hostile configuration text: the reader returns or throws ConfigParseError, never anything else, never hangs. */
import fc from 'fast-check';
import { test } from 'vitest';
import { CLIENT_KEYWORDS, ConfigParseError, parseClientConfig, parseServerConfig, resolveClientConfig, resolveServerConfig, SERVER_KEYWORDS } from '../src/index.ts';
import { memEnv } from './helpers/mem-env.ts';

const words = [...CLIENT_KEYWORDS.keys(), ...SERVER_KEYWORDS.keys(), 'host', 'match', 'include', 'all', 'exec', 'user', 'final', 'address', 'localport'];
const atoms = fc.oneof(
  fc.constantFrom(...words),
  fc.constantFrom('=', ' ', '\t', '"', "'", '\\', '#', '%', '%h', '%%', '${', '}', '${HOME}', '*', '!', ',', ':', '[', ']', '/', '~', '0', '65536', '1G', '1h30m', 'yes', 'none', '\r', '\f'),
  fc.string({ maxLength: 6 }),
);
const line = fc.array(atoms, { maxLength: 8 }).map((a) => a.join(''));
const text = fc.array(line, { maxLength: 12 }).map((a) => a.join('\n'));

function settle(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ConfigParseError)) throw e;
  }
}

test('ssh_config reader', () => {
  const env = memEnv({ files: { '/inc/a': 'Include /inc/*\nPort 1\n', '/inc/b': 'Host *\n User x\n' }, exec: (c) => c.length % 2 });
  fc.assert(
    fc.property(text, fc.constantFrom('h', 'a.example.com', ''), (t, host) => {
      settle(() => resolveClientConfig(parseClientConfig({ text: t, file: 'f' }, env), { host }, env));
    }),
    { numRuns: 3000, interruptAfterTimeLimit: 4000 },
  );
});

test('sshd_config reader', () => {
  const env = memEnv({ files: { '/etc/ssh/x': 'Match all\n PermitTTY no\n' }, groups: { u: ['g'] } });
  fc.assert(
    fc.property(text, (t) => {
      settle(() => resolveServerConfig(parseServerConfig({ text: t, file: 'f' }, env), { user: 'u', address: '10.0.0.1', localPort: 22 }, env));
    }),
    { numRuns: 3000, interruptAfterTimeLimit: 4000 },
  );
});

test('forwarding and ProxyJump specifications', () => {
  const env = memEnv();
  const piece = fc.constantFrom('8080', '0', '22', 'h', '[', ']', ':', '/', '\\', '@', ',', ';', '%41', '%', '+', ' ', 'ssh://', '::1', '[::1]', 'a.b', '-', '"', '#');
  const spec = fc.array(piece, { maxLength: 10 }).map((a) => a.join(''));
  const keyword = fc.constantFrom('LocalForward', 'RemoteForward', 'DynamicForward', 'ProxyJump');
  fc.assert(
    fc.property(keyword, spec, spec, (k, a, b) => {
      settle(() => resolveClientConfig(parseClientConfig({ text: `${k} ${a} ${b}\n${k} ${a}\n`, file: 'f' }, env), { host: 'h' }, env));
    }),
    { numRuns: 3000, interruptAfterTimeLimit: 4000 },
  );
});
