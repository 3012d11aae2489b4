"""AsyncSSH server started by @ssh/interop (startAsyncsshServer).

argv[1] is a JSON file: hostKeys (private key paths), authorizedKeys (path or
null), passwords (user -> password, or null), sftp (bool), logLevel, params
(any JSON, given to the snippet as `params`) and snippet (Python source).

The snippet runs first, at module level (top-level `await` allowed), with
`asyncssh`, `asyncio`, `params` and `run_command` in scope. It may define
`process_factory`, `session_factory`, `server_factory`, `sftp_factory` or
`acceptor`, and `server_options` (a dict of extra asyncssh.listen() keyword
arguments, applied last). Without a process or session factory, exec requests
run their command with /bin/sh and a shell session echoes its input.

Once listening, the server prints "INTEROP-READY <port>" on stdout.
"""

import ast
import asyncio
import json
import logging
import sys
import warnings

try:
    from cryptography.utils import CryptographyDeprecationWarning
    warnings.simplefilter('ignore', CryptographyDeprecationWarning)
except ImportError:
    pass

import asyncssh  # noqa: E402  (after the warning filter on purpose)

FACTORY_NAMES = ('process_factory', 'session_factory', 'server_factory', 'sftp_factory', 'acceptor')


def _encode(process, data):
    encoding = process.channel.get_encoding()[0]
    return data.encode(encoding) if encoding is not None and isinstance(data, str) else data


def _decode(process, data):
    encoding = process.channel.get_encoding()[0]
    return data.decode(encoding, 'replace') if encoding is not None else data


async def run_command(process):
    """Runs the exec request's command with /bin/sh; a shell request echoes stdin."""
    if process.command is None:
        while True:
            data = await process.stdin.read(65536)
            if not data:
                break
            process.stdout.write(data)
        process.exit(0)
        return

    child = await asyncio.create_subprocess_exec(
        '/bin/sh', '-c', process.command,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)

    async def pump_stdin():
        try:
            while True:
                data = await process.stdin.read(65536)
                if not data:
                    break
                child.stdin.write(_encode(process, data))
                await child.stdin.drain()
        except (BrokenPipeError, ConnectionResetError, asyncssh.BreakReceived, asyncssh.SignalReceived,
                asyncssh.TerminalSizeChanged):
            pass
        finally:
            try:
                child.stdin.close()
            except OSError:
                pass

    async def pump_out(source, target):
        while True:
            data = await source.read(65536)
            if not data:
                break
            target.write(_decode(process, data))
            await target.drain()

    feeder = asyncio.ensure_future(pump_stdin())
    await asyncio.gather(pump_out(child.stdout, process.stdout), pump_out(child.stderr, process.stderr))
    status = await child.wait()
    feeder.cancel()
    process.exit(status if status >= 0 else 128 - status)


class PasswordServer(asyncssh.SSHServer):
    def __init__(self, passwords):
        self._passwords = passwords

    def password_auth_supported(self):
        return True

    def validate_password(self, username, password):
        return self._passwords.get(username) == password


async def main(config):
    namespace = {
        '__name__': '__interop_server__',
        'asyncssh': asyncssh,
        'asyncio': asyncio,
        'params': config['params'],
        'run_command': run_command,
    }
    code = compile(config['snippet'], '<server snippet>', 'exec', flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    pending = eval(code, namespace)  # noqa: S307 - the snippet is the test's own code
    if pending is not None:
        await pending

    options = {
        'host': '127.0.0.1',
        'port': 0,
        'server_host_keys': config['hostKeys'],
        'authorized_client_keys': config['authorizedKeys'],
    }
    for name in FACTORY_NAMES:
        if name in namespace:
            options[name] = namespace[name]
    if 'process_factory' not in options and 'session_factory' not in options:
        options['process_factory'] = run_command
    if 'server_factory' not in options and config['passwords']:
        passwords = config['passwords']
        options['server_factory'] = lambda: PasswordServer(passwords)
    if config['sftp'] and 'sftp_factory' not in options:
        options['sftp_factory'] = True
    options.update(namespace.get('server_options', {}))

    server = await asyncssh.listen(**options)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write('INTEROP-READY %d\n' % port)
    sys.stdout.flush()
    await asyncio.Event().wait()


if __name__ == '__main__':
    with open(sys.argv[1], encoding='utf-8') as file:
        CONFIG = json.load(file)
    logging.basicConfig(stream=sys.stderr, level=CONFIG['logLevel'],
                        format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    asyncio.run(main(CONFIG))
