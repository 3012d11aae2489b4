"""AsyncSSH's SFTP client as the peer of the SFTP throughput benchmark (sftp.bench.ts).

Connects to the sshd the benchmark started, with the same cipher and no compression, then times
get and put of the benchmark file (the connection and the SFTP session are set up outside the
timing, as for our client). Prints one JSON document: version, get/put in seconds per round.

Usage: sftp_asyncssh.py host port user key remote_src local_dst local_src remote_dst rounds
"""
import asyncio
import json
import os
import sys
import time

import asyncssh


async def main(argv):
    host, port, user, key, remote_src, local_dst, local_src, remote_dst, rounds = argv
    async with asyncssh.connect(
        host, int(port), username=user, client_keys=[key], known_hosts=None,
        encryption_algs=['aes128-gcm@openssh.com'], compression_algs=['none'],
        agent_path=None, config=[],
    ) as conn:
        async with conn.start_sftp_client() as sftp:
            get_s, put_s = [], []
            for _ in range(int(rounds)):
                t0 = time.perf_counter()
                await sftp.get(remote_src, local_dst)
                get_s.append(time.perf_counter() - t0)
                os.unlink(local_dst)
                t0 = time.perf_counter()
                await sftp.put(local_src, remote_dst)
                put_s.append(time.perf_counter() - t0)
                await sftp.remove(remote_dst)
    print(json.dumps({'version': asyncssh.__version__, 'get': get_s, 'put': put_s}))


asyncio.run(main(sys.argv[1:]))
