"""AsyncSSH's side of the crypto benchmarks (tooling/bench/src/benches/crypto-*.bench.ts).

packets: seal+open of 32 KiB payloads with AsyncSSH's packet encryption objects
(asyncssh.encryption.get_encryption), framed and padded as SSHConnection.send_packet does and
opened as its _recv_pkthdr/_recv_packet do, in MiB/s of payload.

kex: complete key exchanges per second, AsyncSSH's Kex handlers for client and server run against
each other through a stub connection, with a fake host key (no signature work, as on our side).

Prints one JSON document. `--quick` measures a single tiny round (for the unit tests).
"""

import json
import os
import sys

import asyncssh
from asyncssh.encryption import get_encryption, get_encryption_params
from asyncssh.kex import get_kex, get_kex_algs
from asyncssh.packet import Byte, SSHPacket, String, UInt32

from bench_rate import ops_per_second

PAYLOAD = 32 * 1024


def packet_rate(cipher, mac):
    """MiB/s of payload through seal+open of one 32 KiB packet."""
    enc_keysize, enc_ivsize, blocksize, mac_keysize, macsize, etm = \
        get_encryption_params(cipher, mac)
    key, iv, mac_key = os.urandom(enc_keysize), os.urandom(enc_ivsize), os.urandom(mac_keysize)
    sender = get_encryption(cipher, key, iv, mac, mac_key, etm)
    receiver = get_encryption(cipher, key, iv, mac, mac_key, etm)
    blocksize = max(8, blocksize)
    hdrlen = 1 if etm else 5
    payload = bytes(i & 0xff for i in range(PAYLOAD))
    seq = [0]

    def once():
        n = seq[0]
        seq[0] = (n + 1) & 0xffffffff
        # SSHConnection.send_packet
        padlen = -(hdrlen + len(payload)) % blocksize
        if padlen < 4:
            padlen += blocksize
        packet = Byte(padlen) + payload + os.urandom(padlen)
        packet, tag = sender.encrypt_packet(n, UInt32(len(packet)), packet)
        wire = packet + tag
        # SSHConnection._recv_pkthdr / _recv_packet
        first, pktlen = receiver.decrypt_header(n, wire[:blocksize], 4)
        rem = 4 + int.from_bytes(pktlen, 'big') + macsize - blocksize
        rest = wire[blocksize:blocksize + rem - macsize]
        data = receiver.decrypt_packet(n, first, rest, 4, wire[blocksize + rem - macsize:])
        if data is None:
            raise RuntimeError('MAC check failed')
        return data[1:-data[0]]

    if once() != payload:
        raise RuntimeError(f'{cipher} {mac}: round trip failed')
    return ops_per_second(once) * PAYLOAD / (1 << 20)


class _FakeHostKey:
    """A host key that signs and verifies nothing (both sides skip signature work)."""

    public_data = String('ssh-ed25519') + String(b'k' * 32)

    def sign(self, _data):
        return b'signature over H'

    def verify(self, _data, _sig):
        return True


class _KexConnStub:
    """The parts of SSHConnection a Kex handler calls."""

    logger = None

    def __init__(self, client):
        self._client = client
        self.peer = None
        self.outbox = []
        self.done = False

    def is_client(self):
        return self._client

    def is_server(self):
        return not self._client

    def get_hash_prefix(self):
        return (String(b'SSH-2.0-client') + String(b'SSH-2.0-server') +
                String(b'\x14\x01\x02\x03') + String(b'\x14\x04\x05\x06'))

    def send_packet(self, pkttype, *args, handler=None):
        self.outbox.append(Byte(pkttype) + b''.join(args))

    def get_server_host_key(self):
        return _FakeHostKey()

    def validate_server_host_key(self, _data):
        return _FakeHostKey()

    def send_newkeys(self, _k, _h):
        self.done = True


def kex_once(alg):
    client, server = _KexConnStub(True), _KexConnStub(False)
    ckex, skex = get_kex(client, alg), get_kex(server, alg)
    ckex.start()
    skex.start()
    for _ in range(10):
        if client.done and server.done:
            return
        for conn, kex in ((server, skex), (client, ckex)):
            other = client if conn is server else server
            inbox, other.outbox = other.outbox, []
            for msg in inbox:
                packet = SSHPacket(msg)
                kex.process_packet(packet.get_byte(), None, packet)
    if not (client.done and server.done):
        raise RuntimeError(f'{alg}: exchange did not finish')


def main():
    result = {'version': asyncssh.__version__, 'packets': {}, 'kex': {}, 'errors': {}}
    for arg in sys.argv[1:]:
        if arg.startswith('packet='):
            cipher, _, mac = arg[len('packet='):].partition('+')
            name = arg[len('packet='):]
            try:
                result['packets'][name] = packet_rate(cipher.encode(), mac.encode())
            except Exception as exc:  # the figure is reported missing with its reason
                result['errors'][name] = f'{type(exc).__name__}: {exc}'
        elif arg.startswith('kex='):
            alg = arg[len('kex='):]
            if alg.encode() not in get_kex_algs():
                result['errors'][alg] = f'not in AsyncSSH {asyncssh.__version__}'
                continue
            try:
                kex_once(alg.encode())
                result['kex'][alg] = ops_per_second(lambda a=alg.encode(): kex_once(a))
            except Exception as exc:
                result['errors'][alg] = f'{type(exc).__name__}: {exc}'
    json.dump(result, sys.stdout)


if __name__ == '__main__':
    main()
