"""Key interop helper for @ssh/keys tests, run with /usr/bin/python3 (AsyncSSH 2.10).

Reads a JSON list of requests on stdin, writes the list of answers on stdout:
  {"op": "generate", "alg": ..., "passphrase": ...}
      -> AsyncSSH's exports, fingerprints and signatures over b"message" with every algorithm
  {"op": "check", "keys": [{"private": ..., "passphrase": ..., "sigs": [[alg, b64sig], ...]}]}
      -> for each key: public key line, fingerprints, and whether each signature verifies
  {"op": "encrypt", "private": ..., "format": ..., "passphrase": ..., "cipher": ..., "hash": ..., "version": ...}
      -> the key exported encrypted: export_private_key(format, passphrase, cipher, hash, version)
"""
import base64
import json
import sys
import warnings

warnings.simplefilter('ignore')
import asyncssh  # noqa: E402

MESSAGE = b'message'


def b64(data):
    return base64.b64encode(data).decode()


def describe(key):
    return {
        'public': key.export_public_key('openssh').decode(),
        'sha256': key.get_fingerprint('sha256'),
        'md5': key.get_fingerprint('md5'),
    }


def generate(req):
    key = asyncssh.generate_private_key(req['alg'], comment='asyncssh key')
    out = describe(key)
    exports = {}
    for fmt in ('openssh', 'pkcs8-pem', 'pkcs1-pem'):
        try:
            exports[fmt] = key.export_private_key(fmt).decode()
            exports[fmt + '+pass'] = key.export_private_key(fmt, req['passphrase'], rounds=4, ignore_few_rounds=True).decode()
        except Exception:  # format not available for this key type
            pass
    out['exports'] = exports
    out['sigs'] = [[alg.decode(), b64(key.sign(MESSAGE, alg))] for alg in key.sig_algorithms]
    return out


def check(req):
    results = []
    for item in req['keys']:
        key = asyncssh.import_private_key(item['private'], item.get('passphrase'))
        out = describe(key)
        # AsyncSSH 2.10's private key objects do not implement verify: use the public half.
        pub = asyncssh.import_public_key(key.export_public_key())
        out['verified'] = [pub.verify(MESSAGE, base64.b64decode(sig)) is True for _alg, sig in item['sigs']]
        results.append(out)
    return results


def encrypt(req):
    key = asyncssh.import_private_key(req['private'])
    return key.export_private_key(req['format'], req['passphrase'], req['cipher'], req['hash'], req['version']).decode()


OPS = {'generate': generate, 'check': check, 'encrypt': encrypt}


def main():
    requests = json.load(sys.stdin)
    answers = [OPS[req['op']](req) for req in requests]
    json.dump(answers, sys.stdout)


main()
