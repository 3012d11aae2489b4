# Generates asyncssh-packets.json: SSH binary packets (RFC 4253 §6) sealed by AsyncSSH 2.10.1's
# packet encryption (asyncssh.encryption.get_encryption, OpenSSL via python3-cryptography, UMAC via
# nettle), for every cipher and a spread of MACs. Padding is the minimum our sealer picks, filled
# with 0x5a so a sealer given the same "random" bytes must produce identical wire bytes.
# Run: cd vectors && /usr/bin/python3 tools/asyncssh_packets.py > asyncssh-packets.json
import json, random, struct, warnings
warnings.simplefilter('ignore')
from asyncssh.encryption import get_encryption, get_encryption_algs, get_encryption_params
from asyncssh.mac import get_mac_algs

rng = random.Random(42)
def rb(n): return bytes(rng.getrandbits(8) for _ in range(n))

AEAD = {b'chacha20-poly1305@openssh.com', b'aes256-gcm@openssh.com', b'aes128-gcm@openssh.com'}
cases = []
for enc in get_encryption_algs():
    if enc in AEAD:
        macs = [b'']
    elif enc == b'aes128-ctr':
        macs = get_mac_algs()
    else:
        macs = [b'hmac-sha2-256', b'hmac-sha1-etm@openssh.com']
    for mac in macs:
        ksz, ivsz, bsz, mksz, mhsz, etm = get_encryption_params(enc, mac)
        if enc in AEAD:
            etm = True
        key, iv, mac_key = rb(ksz), rb(ivsz), rb(mksz)
        e = get_encryption(enc, key, iv, mac, mac_key, etm)
        bs = max(bsz, 8)
        packets = []
        for seq, size in ((0, 1), (1, 37), (7, 300), (0xffffffff, 64)):
            payload = rb(size)
            aad = 4 if etm else 0
            pad = bs - ((5 + size - aad) % bs)
            if pad < 4:
                pad += bs
            body = bytes([pad]) + payload + b'\x5a' * pad
            header = struct.pack('>I', len(body))
            out, tag = e.encrypt_packet(seq, header, body)
            packets.append({'seq': seq, 'payload': payload.hex(), 'wire': (out + tag).hex()})
        cases.append({'cipher': enc.decode(), 'mac': mac.decode() or None, 'key': key.hex(), 'iv': iv.hex(),
                      'macKey': mac_key.hex(), 'packets': packets})
print(json.dumps(cases, indent=1))
