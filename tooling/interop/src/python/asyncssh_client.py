"""AsyncSSH client snippet runner used by @ssh/interop (runAsyncsshClient).

argv[1] is a JSON file: target (host, port, username, knownHosts path or
null) or null, clientKeys (private key paths, null for none, or "default" for
AsyncSSH's own choice), password,
agentPath, connectOptions (Python expression for extra asyncssh.connect()
keyword arguments, or null), params (any JSON), snippet (Python source),
timeout (seconds) and resultPath.

The snippet runs as module-level code with top-level `await`, with `conn`
(the open SSHClientConnection, or None without a target), `params`,
`asyncssh` and `asyncio` in scope. If it sets `result`, that value is written
as JSON to resultPath. Exit codes: 0 done, 1 exception (traceback on stderr),
124 timeout.
"""

import ast
import asyncio
import json
import sys
import traceback
import warnings

try:
    from cryptography.utils import CryptographyDeprecationWarning
    warnings.simplefilter('ignore', CryptographyDeprecationWarning)
except ImportError:
    pass

import asyncssh  # noqa: E402  (after the warning filter on purpose)


async def run_snippet(config, conn, namespace):
    namespace['conn'] = conn
    code = compile(config['snippet'], '<client snippet>', 'exec', flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    pending = eval(code, namespace)  # noqa: S307 - the snippet is the test's own code
    if pending is not None:
        await pending


async def main(config):
    namespace = {
        '__name__': '__interop_client__',
        'asyncssh': asyncssh,
        'asyncio': asyncio,
        'params': config['params'],
    }
    target = config['target']
    if target is None:
        await run_snippet(config, None, namespace)
    else:
        options = {
            'host': target['host'],
            'port': target['port'],
            'username': target['username'],
            'known_hosts': target['knownHosts'],
            'agent_path': config['agentPath'],
        }
        if config['clientKeys'] != 'default':
            options['client_keys'] = config['clientKeys']
        if config['password'] is not None:
            options['password'] = config['password']
        if config['connectOptions']:
            options.update(eval(config['connectOptions'], namespace))  # noqa: S307
        async with asyncssh.connect(**options) as conn:
            await run_snippet(config, conn, namespace)
    return namespace.get('result')


if __name__ == '__main__':
    with open(sys.argv[1], encoding='utf-8') as file:
        CONFIG = json.load(file)
    try:
        RESULT = asyncio.run(asyncio.wait_for(main(CONFIG), CONFIG['timeout']))
    except asyncio.TimeoutError:
        sys.stderr.write('interop: the AsyncSSH client snippet timed out after %s s\n' % CONFIG['timeout'])
        sys.exit(124)
    except Exception:  # noqa: BLE001 - report everything
        traceback.print_exc()
        sys.exit(1)
    with open(CONFIG['resultPath'], 'w', encoding='utf-8') as file:
        json.dump(RESULT, file, default=repr)
    sys.stdout.flush()
