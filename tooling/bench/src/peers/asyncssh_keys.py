"""AsyncSSH's side of the keys benchmark (tooling/bench/src/benches/keys.bench.ts).

Reads the key files the TypeScript side wrote (so both sides work on the same keys and lines):
argv[1] is a directory holding, per case, <case>.key (openssh-key-v1, unencrypted), <case>.pub
(OpenSSH public) and known_hosts (the 10,000-line file). For each case it measures SSH signatures
made and checked per second (SSHKey.sign / verify, the SSH signature blob), private and public key
imports per second (import_private_key / import_public_key), known_hosts imports per second
(import_known_hosts) and key generation per second (generate_private_key).

Prints one JSON document. `--quick` measures a single tiny round (for the unit tests).
"""

import json
import os
import sys

import asyncssh

from bench_rate import ops_per_second

DATA = bytes(range(256)) * 4

# case id: (signature algorithm, generate_private_key arguments)
CASES = {
    'ed25519': ('ssh-ed25519', ('ssh-ed25519', {})),
    'ecdsa-p256': ('ecdsa-sha2-nistp256', ('ecdsa-sha2-nistp256', {})),
    'rsa2048': ('rsa-sha2-256', ('ssh-rsa', {'key_size': 2048})),
    'rsa3072': ('rsa-sha2-256', ('ssh-rsa', {'key_size': 3072})),
}


def read(directory, name):
    with open(os.path.join(directory, name), 'rb') as f:
        return f.read()


def main():
    directory = [a for a in sys.argv[1:] if not a.startswith('--')][0]
    result = {'version': asyncssh.__version__, 'figures': {}, 'errors': {}}
    figures, errors = result['figures'], result['errors']

    def measure(name, body, **kwargs):
        try:
            body()
            figures[name] = ops_per_second(body, **kwargs)
        except Exception as exc:  # the figure is reported missing with its reason
            errors[name] = f'{type(exc).__name__}: {exc}'

    for case, (sig_alg, (gen_alg, gen_args)) in CASES.items():
        private_text = read(directory, f'{case}.key')
        public_text = read(directory, f'{case}.pub')
        key = asyncssh.import_private_key(private_text)
        pub = asyncssh.import_public_key(public_text)
        alg = sig_alg.encode()
        sig = key.sign(DATA, alg)
        if not pub.verify(DATA, sig):
            raise RuntimeError(f'{case}: signature does not verify')
        measure(f'sign {case}', lambda k=key, a=alg: k.sign(DATA, a))
        measure(f'verify {case}', lambda p=pub, s=sig: p.verify(DATA, s))
        measure(f'import private {case}', lambda t=private_text: asyncssh.import_private_key(t))
        measure(f'import public {case}', lambda t=public_text: asyncssh.import_public_key(t))
        if case != 'rsa3072':
            measure(f'generate {case}', lambda a=gen_alg, g=gen_args: asyncssh.generate_private_key(a, **g),
                    round_s=0.5, rounds=3)

    known_hosts = read(directory, 'known_hosts').decode('utf-8')
    measure('import known_hosts', lambda: asyncssh.import_known_hosts(known_hosts),
            ops_per_call=known_hosts.count('\n'), rounds=3)
    json.dump(result, sys.stdout)


if __name__ == '__main__':
    main()
