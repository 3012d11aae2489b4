"""An AsyncSSH 2.10 SSH server on 127.0.0.1 whose only service is SFTP, for client interop tests.

Usage: asyncssh_sftp_server.py ROOT SFTP_VERSION
Prints the listening port on stdout, then serves until killed. No authentication is required
(begin_auth returns False); SFTP is chrooted to ROOT.
"""

import asyncio
import sys
import warnings

warnings.simplefilter('ignore')

import asyncssh  # noqa: E402


class NoAuthServer(asyncssh.SSHServer):
    def begin_auth(self, username):
        return False


async def main():
    root, version = sys.argv[1], int(sys.argv[2])
    key = asyncssh.generate_private_key('ssh-ed25519')
    server = await asyncssh.listen(
        '127.0.0.1', 0, server_host_keys=[key], server_factory=NoAuthServer,
        sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=root),
        sftp_version=version)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Future()


asyncio.run(main())
