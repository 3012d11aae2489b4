"""AsyncSSH's side of the wire benchmark: encode and decode the same message mix as
tooling/bench/src/benches/wire.bench.ts, with AsyncSSH's own packet helpers, and print
messages per second as JSON."""

import json
import sys

import asyncssh
from asyncssh.packet import Boolean, Byte, NameList, SSHPacket, String, UInt32

from bench_rate import ops_per_second

KEX = [b'curve25519-sha256', b'curve25519-sha256@libssh.org', b'ecdh-sha2-nistp256',
       b'ecdh-sha2-nistp384', b'ecdh-sha2-nistp521', b'diffie-hellman-group-exchange-sha256',
       b'diffie-hellman-group16-sha512', b'diffie-hellman-group18-sha512',
       b'diffie-hellman-group14-sha256', b'ext-info-c', b'kex-strict-c-v00@openssh.com']
HOSTKEY = [b'ssh-ed25519-cert-v01@openssh.com', b'ecdsa-sha2-nistp256-cert-v01@openssh.com',
           b'rsa-sha2-512-cert-v01@openssh.com', b'ssh-ed25519', b'ecdsa-sha2-nistp256',
           b'rsa-sha2-512', b'rsa-sha2-256']
CIPHERS = [b'chacha20-poly1305@openssh.com', b'aes128-ctr', b'aes192-ctr', b'aes256-ctr',
           b'aes128-gcm@openssh.com', b'aes256-gcm@openssh.com']
MACS = [b'umac-64-etm@openssh.com', b'umac-128-etm@openssh.com', b'hmac-sha2-256-etm@openssh.com',
        b'hmac-sha2-512-etm@openssh.com', b'hmac-sha1-etm@openssh.com', b'umac-64@openssh.com',
        b'hmac-sha2-256', b'hmac-sha2-512']
COMP = [b'none', b'zlib@openssh.com']

COOKIE = bytes(range(16))
DATA = bytes(i & 0xff for i in range(1024))
KEY_BLOB = bytes(51)
SIGNATURE = bytes(83)


def encode_all():
    return [
        b''.join((Byte(20), COOKIE, NameList(KEX), NameList(HOSTKEY), NameList(CIPHERS),
                  NameList(CIPHERS), NameList(MACS), NameList(MACS), NameList(COMP),
                  NameList(COMP), NameList([]), NameList([]), Boolean(False), UInt32(0))),
        b''.join((Byte(94), UInt32(7), String(DATA))),
        b''.join((Byte(50), String('alice'), String('ssh-connection'), String('publickey'),
                  Boolean(True), String('ssh-ed25519'), String(KEY_BLOB), String(SIGNATURE))),
        b''.join((Byte(98), UInt32(7), String('exec'), Boolean(True),
                  String('ls -l /var/log | grep ssh'))),
        b''.join((Byte(80), String('tcpip-forward'), Boolean(True), String('127.0.0.1'),
                  UInt32(8080))),
        b''.join((Byte(93), UInt32(7), UInt32(2097152))),
    ]


def decode(data):
    packet = SSHPacket(data)
    msg = packet.get_byte()
    if msg == 20:
        packet.get_bytes(16)
        for _ in range(10):
            packet.get_namelist()
        packet.get_boolean()
        packet.get_uint32()
    elif msg == 94:
        packet.get_uint32()
        packet.get_string()
    elif msg == 50:
        packet.get_string().decode('utf-8')
        packet.get_string().decode('utf-8')
        packet.get_string().decode('ascii')
        packet.get_boolean()
        packet.get_string().decode('ascii')
        packet.get_string()
        packet.get_string()
    elif msg == 98:
        packet.get_uint32()
        packet.get_string().decode('ascii')
        packet.get_boolean()
        packet.get_string()
    elif msg == 80:
        packet.get_string().decode('ascii')
        packet.get_boolean()
        packet.get_string().decode('utf-8')
        packet.get_uint32()
    elif msg == 93:
        packet.get_uint32()
        packet.get_uint32()
    packet.check_end()


def main():
    encoded = encode_all()

    def decode_all():
        for data in encoded:
            decode(data)

    json.dump({'version': asyncssh.__version__,
               'encode': ops_per_second(encode_all, len(encoded)),
               'decode': ops_per_second(decode_all, len(encoded))}, sys.stdout)


if __name__ == '__main__':
    main()
