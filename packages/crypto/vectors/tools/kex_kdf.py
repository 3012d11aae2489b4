# Generates kex-kdf.json: RFC 4253 §7.2 key derivation computed by AsyncSSH 2.10.1's
# Kex.compute_key (asyncssh/kex.py), K given as an integer (hashed as mpint).
# Run: cd vectors && /usr/bin/python3 tools/kex_kdf.py > kex-kdf.json
import hashlib, json, random, warnings
warnings.simplefilter('ignore')
from asyncssh.kex import Kex
from asyncssh.packet import MPInt

rng = random.Random(7)
out = []
for name, alg, keylen in (('sha1', hashlib.sha1, 40), ('sha256', hashlib.sha256, 64), ('sha512', hashlib.sha512, 100), ('sha384', hashlib.sha384, 16)):
    kex = Kex.__new__(Kex)
    kex._hash_alg = alg
    k = rng.getrandbits(2048) | (1 << 2047)  # top bit set: the mpint gets a leading zero byte
    h = bytes(rng.getrandbits(8) for _ in range(alg().digest_size))
    sid = bytes(rng.getrandbits(8) for _ in range(alg().digest_size))
    for letter in 'ACE':
        out.append({'hash': name, 'k': MPInt(k).hex(), 'h': h.hex(), 'sessionId': sid.hex(), 'letter': letter,
                    'length': keylen, 'key': kex.compute_key(k, h, letter.encode(), sid, keylen).hex()})
print(json.dumps(out, indent=1))
