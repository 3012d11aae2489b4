"""Paramiko client snippet runner used by @ssh/interop (runParamikoClient).

argv[1] is a JSON file: target (host, port, username, knownHosts path or
null) or null, keyFiles (private key paths, [] for none), password,
connectOptions (Python expression for extra SSHClient.connect() keyword
arguments, or null), params (any JSON), snippet (Python source), timeout
(seconds) and resultPath.

The client never trusts a key it was not told about: with a knownHosts file it
loads it and uses RejectPolicy, so an unknown or changed host key fails the
connection (paramiko.SSHException / BadHostKeyException); without one it
accepts any key (AutoAddPolicy into an in-memory table). Agent and
~/.ssh keys are never looked at (allow_agent=False, look_for_keys=False).

The snippet runs as module-level code with `client` (the connected
paramiko.SSHClient, or None without a target), `transport`, `params`,
`paramiko`, `hashlib`, `os`, `socket`, `time`, `threading` and `sftp_open()`
(a new SFTPClient on the connection) in scope. If it sets `result`, that value
is written as JSON to resultPath. Exit codes: 0 done, 1 exception (traceback
on stderr), 124 timeout (a watchdog thread ends the process: paramiko's calls
block).
"""

import faulthandler
import hashlib
import json
import logging
import os
import socket
import sys
import threading
import time
import traceback
import warnings

try:
    from cryptography.utils import CryptographyDeprecationWarning
    warnings.simplefilter('ignore', CryptographyDeprecationWarning)
except ImportError:
    pass

import paramiko  # noqa: E402  (after the warning filter on purpose)


def arm_timeout(seconds):
    def expire():
        sys.stderr.write('interop: the Paramiko client snippet timed out after %s s; its threads:\n' % seconds)
        sys.stderr.flush()
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        sys.stderr.flush()
        os._exit(124)
    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    return timer


def main(config):
    namespace = {
        '__name__': '__interop_client__',
        'paramiko': paramiko,
        'hashlib': hashlib,
        'os': os,
        'socket': socket,
        'time': time,
        'threading': threading,
        'params': config['params'],
        'client': None,
        'transport': None,
    }
    target = config['target']
    client = None
    if target is not None:
        client = paramiko.SSHClient()
        if target['knownHosts'] is not None:
            client.load_host_keys(target['knownHosts'])
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
        else:
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        options = {
            'hostname': target['host'],
            'port': target['port'],
            'username': target['username'],
            'allow_agent': False,
            'look_for_keys': False,
            'timeout': 15,
            'banner_timeout': 15,
            'auth_timeout': 15,
        }
        if config['keyFiles']:
            options['key_filename'] = config['keyFiles']
        if config['password'] is not None:
            options['password'] = config['password']
        if config['connectOptions']:
            options.update(eval(config['connectOptions'], namespace))  # noqa: S307 - the test's own code
        client.connect(**options)
        namespace['client'] = client
        namespace['transport'] = client.get_transport()
        namespace['sftp_open'] = client.open_sftp
    try:
        code = compile(config['snippet'], '<paramiko client snippet>', 'exec')
        exec(code, namespace)  # noqa: S102 - the snippet is the test's own code
    finally:
        if client is not None:
            client.close()
    return namespace.get('result')


if __name__ == '__main__':
    with open(sys.argv[1], encoding='utf-8') as file:
        CONFIG = json.load(file)
    if CONFIG.get('logFile'):
        logging.basicConfig(filename=CONFIG['logFile'], level=logging.DEBUG)
    arm_timeout(CONFIG['timeout'])
    try:
        RESULT = main(CONFIG)
    except Exception:  # noqa: BLE001 - report everything
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    with open(CONFIG['resultPath'], 'w', encoding='utf-8') as file:
        json.dump(RESULT, file, default=repr)
    sys.stdout.flush()
    sys.stderr.flush()
    # paramiko's transport threads may still be winding down; nothing more to wait for.
    os._exit(0)
