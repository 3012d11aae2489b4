"""AsyncSSH 2.10 SFTP client exercising a server at a forced version, for server interop tests.

Usage: asyncssh_sftp_client.py PORT KEYFILE VERSION...
Connects to 127.0.0.1:PORT as the current user with KEYFILE and, for each VERSION, opens an SFTP
session at that version and runs a fixed script of operations in the remote directory "work<V>".
Prints one JSON object: version -> results.
"""

import asyncio
import json
import sys
import warnings

warnings.simplefilter('ignore')

import asyncssh  # noqa: E402


async def main():
    port, keyfile = int(sys.argv[1]), sys.argv[2]
    results = {}
    async with asyncssh.connect('127.0.0.1', port, client_keys=[keyfile], known_hosts=None,
                                agent_path=None, gss_host=None) as conn:
        for version in map(int, sys.argv[3:]):
            results[version] = await run(conn, version)
    print(json.dumps(results), flush=True)


async def run(conn, version):
    out = {}
    w = 'work%d' % version
    if True:
        async with conn.start_sftp_client(sftp_version=version) as sftp:
            out['version'] = sftp.version
            await sftp.mkdir(w)
            async with sftp.open(w + '/hello.txt', 'w') as f:
                await f.write('hello from asyncssh\n')
            async with sftp.open(w + '/hello.txt', 'r') as f:
                out['read'] = await f.read()
            data = bytes(range(256)) * 4096
            async with sftp.open(w + '/big.bin', 'wb') as f:
                await f.write(data)
            async with sftp.open(w + '/big.bin', 'rb') as f:
                out['big_ok'] = (await f.read()) == data
            attrs = await sftp.stat(w + '/big.bin')
            out['size'] = attrs.size
            out['type'] = attrs.type
            await sftp.chmod(w + '/hello.txt', 0o600)
            out['perm'] = (await sftp.stat(w + '/hello.txt')).permissions & 0o777
            await sftp.utime(w + '/hello.txt', (1000000000, 1200000000))
            out['mtime'] = (await sftp.stat(w + '/hello.txt')).mtime
            await sftp.rename(w + '/hello.txt', w + '/renamed.txt')
            await sftp.symlink('renamed.txt', w + '/link')
            out['readlink'] = await sftp.readlink(w + '/link')
            out['islink'] = await sftp.islink(w + '/link')
            await sftp.makedirs(w + '/x/y/z')
            out['listdir'] = sorted(await sftp.listdir(w))
            out['realpath'] = await sftp.realpath(w + '/x/../x/y')
            out['exists_missing'] = await sftp.exists(w + '/missing')
            try:
                await sftp.stat(w + '/missing')
            except asyncssh.SFTPError as exc:
                out['missing_code'] = exc.code
            await sftp.remove(w + '/link')
            await sftp.rmtree(w + '/x')
            out['after'] = sorted(await sftp.listdir(w))
    return out


asyncio.run(main())
