"""AsyncSSH's side of the handshake benchmark (tooling/bench/src/benches/handshake.bench.ts).

argv: host port user client_key_path iterations. For each of `iterations` rounds (after one
warm-up) it times a full connection (connect with aes128-gcm and no compression, pubkey auth,
host key unchecked, then close) and a connection that also runs `true`. Prints one JSON document:
{"version": ..., "handshake": [seconds...], "exec": [seconds...]}.
"""

import asyncio
import json
import sys
import time
import warnings

try:
    from cryptography.utils import CryptographyDeprecationWarning
    warnings.simplefilter('ignore', CryptographyDeprecationWarning)
except ImportError:
    pass

import asyncssh  # noqa: E402


async def main():
    host, port, user, key, iterations = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
    options = dict(host=host, port=port, username=user, client_keys=[key], known_hosts=None, agent_path=None,
                   config=None, encryption_algs=['aes128-gcm@openssh.com'], compression_algs=['none'])

    async def handshake():
        conn = await asyncssh.connect(**options)
        conn.close()
        await conn.wait_closed()

    async def execute():
        conn = await asyncssh.connect(**options)
        result = await conn.run('true', check=True)
        assert result.exit_status == 0
        conn.close()
        await conn.wait_closed()

    figures = {'version': asyncssh.__version__, 'handshake': [], 'exec': []}
    await handshake()
    await execute()
    for _ in range(iterations):
        for name, body in (('handshake', handshake), ('exec', execute)):
            start = time.perf_counter()
            await body()
            figures[name].append(time.perf_counter() - start)
    print(json.dumps(figures))


asyncio.run(main())
