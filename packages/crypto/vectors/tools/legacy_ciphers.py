# Generates legacy-ciphers.json: Blowfish/CAST5/SEED in CBC mode and RC4, computed by OpenSSL's
# legacy provider through python3-cryptography (Debian bookworm). Run: /usr/bin/python3 tools/legacy_ciphers.py
import json, random, warnings
warnings.simplefilter('ignore')
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

rng = random.Random(4)
def rb(n): return bytes(rng.getrandbits(8) for _ in range(n))
out = []
for name, alg, klen, bs in [('blowfish-cbc', algorithms.Blowfish, 16, 8), ('cast128-cbc', algorithms.CAST5, 16, 8), ('seed-cbc@ssh.com', algorithms.SEED, 16, 16)]:
    for n in (1, 3, 17):
        key, iv, pt = rb(klen), rb(bs), rb(bs * n)
        ct = Cipher(alg(key), modes.CBC(iv)).encryptor().update(pt)
        out.append({'cipher': name, 'key': key.hex(), 'iv': iv.hex(), 'plaintext': pt.hex(), 'ciphertext': ct.hex()})
for klen in (5, 16, 32):
    key, pt = rb(klen), rb(100)
    ct = Cipher(algorithms.ARC4(key), None).encryptor().update(pt)
    out.append({'cipher': 'rc4', 'key': key.hex(), 'iv': '', 'plaintext': pt.hex(), 'ciphertext': ct.hex()})
print(json.dumps(out, indent=1))
