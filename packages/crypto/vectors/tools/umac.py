# Generates umac.json: UMAC-32/64/96/128 tags computed by Nettle (through AsyncSSH 2.10.1's
# asyncssh.crypto.umac wrapper) for RFC 4418 Appendix's inputs (K = "abcdefghijklmnop",
# Nonce = "bcdefghi", messages '' / 'a'*3 / 'a'*2^10 / 'a'*2^15 / 'abc' / 'abc'*500) plus
# lengths around the 1024-byte L1 block and 32-byte NH boundaries.
# Run: cd vectors && /usr/bin/python3 tools/umac.py > umac.json
import json, warnings
warnings.simplefilter('ignore')
from asyncssh.crypto.umac import umac32, umac64, umac96, umac128

key, nonce = b'abcdefghijklmnop', b'bcdefghi'
msgs = [('', b''), ("'a' * 3", b'a' * 3), ("'a' * 2^10", b'a' * 1024), ("'a' * 2^15", b'a' * 32768), ("'abc'", b'abc'),
        ("'abc' * 500", b'abc' * 500)]
for n in (31, 32, 33, 1023, 1025, 2048, 4097):
    msgs.append(("bytes(i %% 251) * %d" % n, bytes(i % 251 for i in range(n))))
out = []
for label, m in msgs:
    row = {'label': label, 'message': None if label.startswith("'a'") else m.hex(), 'repeat': None}
    if row['message'] is None:
        row['repeat'] = {'unit': 'a', 'count': len(m)}
    for name, f in (('umac32', umac32), ('umac64', umac64), ('umac96', umac96), ('umac128', umac128)):
        row[name] = f(key, m, nonce).digest().hex()
    out.append(row)
# Nonces as OpenSSH uses them (the 64-bit sequence number): both halves of one AES block.
for seq in (0, 1, 2, 0xffffffff):
    n = seq.to_bytes(8, 'big')
    out.append({'label': 'seq nonce %d' % seq, 'message': b'ssh packet'.hex(), 'repeat': None, 'nonce': n.hex(),
                'umac64': umac64(key, b'ssh packet', n).digest().hex(), 'umac128': umac128(key, b'ssh packet', n).digest().hex()})
print(json.dumps({'key': key.hex(), 'nonce': nonce.hex(), 'cases': out}, indent=1))
