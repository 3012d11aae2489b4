"""Paramiko SSH and SFTP server used by @ssh/interop (startParamikoServer).

argv[1] is a JSON file: hostKeys (private key paths), authorizedKeys (public
key lines; publickey authentication accepts exactly these blobs), passwords
({user: password} or null), root (the directory served by SFTP: clients see
it as "/"), logFile (paramiko's DEBUG log, or null).

Listens on 127.0.0.1 port 0 and prints "INTEROP-READY <port>". Each
connection gets a paramiko.Transport in a thread of its own (zlib compression
and group exchange offered). With passwords, password and keyboard-interactive
(prompts "Password: " and "Favourite colour: ", answer "blue") are allowed.
direct-tcpip to 127.0.0.1 and tcpip-forward on 127.0.0.1 are served. Sessions
take env, pty-req, window-change, exec, shell and the sftp subsystem
(paramiko.SFTPServer over RootedSftp below). Exec commands:

  pty-info        prints "<term> <cols>x<rows>" (or "no-pty")
  wait-resize     prints "ready <cols>x<rows>", waits (10 s at most) for a
                  window-change and prints "resized <cols>x<rows>"
  rekey-stream N  sends N bytes (0..255 repeated), starting a key exchange
                  (renegotiate_keys) half way
  anything else   runs through /bin/sh -c with the session's env added:
                  stdin, stdout, stderr and the exit status relayed.

The shell reads lines: "size" prints "<cols>x<rows>", "exit N" ends with N,
anything else is echoed as "echo: <line>".
"""

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import traceback
import warnings

try:
    from cryptography.utils import CryptographyDeprecationWarning
    warnings.simplefilter('ignore', CryptographyDeprecationWarning)
except ImportError:
    pass

import base64  # noqa: E402

import paramiko  # noqa: E402
from paramiko.sftp import SFTP_FAILURE, SFTP_OK  # noqa: E402

CHUNK = 32768


def answer_before_running():
    """Makes exec and shell threads wait until paramiko has answered their request.

    paramiko calls check_channel_exec_request() and sends the reply only after it
    returns; a command thread started there could send its output, exit status
    and CHANNEL_CLOSE first, and paramiko would then send the reply on a closed
    channel (RFC 4254 5.3 forbids it). The wrapper sets the channel's
    interop_answered event once the reply is out.
    """
    original = paramiko.Channel._handle_request

    def handle_request(self, m):
        try:
            original(self, m)
        finally:
            answered = getattr(self, 'interop_answered', None)
            if answered is not None:
                answered.set()

    # Transport dispatches through a table of the functions, not the class attribute.
    table = paramiko.Transport._channel_handler_table
    for kind, function in list(table.items()):
        if function is original:
            table[kind] = handle_request


answer_before_running()


def load_host_key(path):
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key_file(path)
        except (paramiko.SSHException, ValueError, TypeError):
            continue
    raise ValueError('cannot load host key %s' % path)


class Session(object):
    """What the requests of one session channel said."""

    def __init__(self):
        self.env = {}
        self.term = None
        self.size = (0, 0)
        self.resized = threading.Event()


class Server(paramiko.ServerInterface):
    def __init__(self, config):
        self.authorized = set()
        for line in config['authorizedKeys']:
            fields = line.split()
            if len(fields) >= 2:
                self.authorized.add(base64.b64decode(fields[1]))
        self.passwords = config['passwords'] or {}
        self.sessions = {}
        self.direct = {}
        self.listeners = {}
        self.transport = None
        self.lock = threading.Lock()

    def session(self, channel):
        with self.lock:
            return self.sessions.setdefault(channel.get_id(), Session())

    # authentication
    def get_allowed_auths(self, username):
        methods = []
        if self.authorized:
            methods.append('publickey')
        if self.passwords:
            methods.append('password')
            methods.append('keyboard-interactive')
        return ','.join(methods) or 'none'

    def check_auth_publickey(self, username, key):
        if key.asbytes() in self.authorized:
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_auth_password(self, username, password):
        if self.passwords.get(username) == password:
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_auth_interactive(self, username, submethods):
        if not self.passwords:
            return paramiko.AUTH_FAILED
        self.kbdint_user = username
        query = paramiko.InteractiveQuery('Paramiko login', 'Answer the questions')
        query.add_prompt('Password: ', False)
        query.add_prompt('Favourite colour: ', True)
        return query

    def check_auth_interactive_response(self, responses):
        user = getattr(self, 'kbdint_user', None)
        if len(responses) == 2 and self.passwords.get(user) == responses[0] and responses[1] == 'blue':
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    # sessions
    def check_channel_request(self, kind, chanid):
        if kind == 'session':
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    # forwarding
    def check_channel_direct_tcpip_request(self, chanid, origin, destination):
        if destination[0] not in ('127.0.0.1', 'localhost'):
            return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        with self.lock:
            self.direct[chanid] = (destination, origin)
        return paramiko.OPEN_SUCCEEDED

    def check_port_forward_request(self, address, port):
        if address not in ('127.0.0.1', 'localhost'):
            return False
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(('127.0.0.1', port))
        listener.listen(8)
        bound = listener.getsockname()[1]
        with self.lock:
            self.listeners[(address, bound)] = listener
        threading.Thread(target=accept_forwarded, args=(self.transport, listener, address, bound), daemon=True).start()
        return bound

    def cancel_port_forward_request(self, address, port):
        with self.lock:
            listener = self.listeners.pop((address, port), None)
        if listener is not None:
            listener.close()

    def check_channel_env_request(self, channel, name, value):
        self.session(channel).env[name.decode() if isinstance(name, bytes) else name] = (
            value.decode() if isinstance(value, bytes) else value)
        return True

    def check_channel_pty_request(self, channel, term, width, height, pixelwidth, pixelheight, modes):
        session = self.session(channel)
        session.term = term.decode() if isinstance(term, bytes) else term
        session.size = (width, height)
        return True

    def check_channel_window_change_request(self, channel, width, height, pixelwidth, pixelheight):
        session = self.session(channel)
        session.size = (width, height)
        session.resized.set()
        return True

    def check_channel_exec_request(self, channel, command):
        command = command.decode() if isinstance(command, bytes) else command
        if command == 'closes-before-reply':
            # As Paramiko's demo servers do: the command runs inside this handler, so its output,
            # exit status and CHANNEL_CLOSE go out before the exec request's CHANNEL_SUCCESS.
            channel.sendall(b'early\n')
            finish(channel, 5)
            return True
        session = self.session(channel)
        channel.interop_answered = threading.Event()
        threading.Thread(target=run_exec, args=(channel, session, command), daemon=True).start()
        return True

    def check_channel_shell_request(self, channel):
        session = self.session(channel)
        channel.interop_answered = threading.Event()
        threading.Thread(target=run_shell, args=(channel, session), daemon=True).start()
        return True


def finish(channel, status):
    try:
        channel.send_exit_status(status)
        channel.shutdown_write()
        channel.close()
    except Exception:  # noqa: BLE001 - the client may be gone already
        pass


def run_exec(channel, session, command):
    channel.interop_answered.wait(10)
    try:
        if command == 'pty-info':
            if session.term is None:
                channel.sendall(b'no-pty\n')
            else:
                channel.sendall(('%s %dx%d\n' % (session.term, session.size[0], session.size[1])).encode())
            finish(channel, 0)
            return
        if command == 'wait-resize':
            session.resized.clear()
            channel.sendall(('ready %dx%d\n' % session.size).encode())
            if not session.resized.wait(10):
                channel.sendall_stderr(b'no window-change\n')
                finish(channel, 1)
                return
            channel.sendall(('resized %dx%d\n' % session.size).encode())
            finish(channel, 0)
            return
        if command.startswith('rekey-stream '):
            total = int(command.split()[1])
            block = bytes(range(256)) * 128
            sent = 0
            rekeyed = False
            while sent < total:
                piece = block[:min(len(block), total - sent)]
                channel.sendall(piece)
                sent += len(piece)
                if not rekeyed and sent >= total // 2:
                    channel.get_transport().renegotiate_keys()
                    rekeyed = True
            finish(channel, 0)
            return
        run_subprocess(channel, session, command)
    except Exception:  # noqa: BLE001 - log, then end the channel
        traceback.print_exc()
        finish(channel, 255)


def run_subprocess(channel, session, command):
    env = dict(os.environ)
    env.update(session.env)
    proc = subprocess.Popen(['/bin/sh', '-c', command], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, close_fds=True)

    def feed():
        try:
            while True:
                data = channel.recv(CHUNK)
                if not data:
                    break
                proc.stdin.write(data)
                proc.stdin.flush()
        except (OSError, EOFError, socket.error):
            pass
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    def relay(stream, send):
        try:
            while True:
                data = stream.read1(CHUNK) if hasattr(stream, 'read1') else stream.read(CHUNK)
                if not data:
                    break
                send(data)
        except (OSError, EOFError, socket.error):
            pass

    threading.Thread(target=feed, daemon=True).start()
    out = threading.Thread(target=relay, args=(proc.stdout, channel.sendall), daemon=True)
    err = threading.Thread(target=relay, args=(proc.stderr, channel.sendall_stderr), daemon=True)
    out.start()
    err.start()
    status = proc.wait()
    out.join()
    err.join()
    finish(channel, status if status >= 0 else 128 - status)


def run_shell(channel, session):
    channel.interop_answered.wait(10)
    try:
        reader = channel.makefile('rb')
        channel.sendall(b'$ ')
        while True:
            line = reader.readline()
            if not line:
                finish(channel, 0)
                return
            text = line.decode(errors='replace').strip()
            if text == 'size':
                channel.sendall(('%dx%d\n$ ' % session.size).encode())
            elif text.startswith('exit'):
                finish(channel, int(text[4:].strip() or '0'))
                return
            else:
                channel.sendall(('echo: %s\n$ ' % text).encode())
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        finish(channel, 255)


def pump_socket(channel, sock):
    def up():
        try:
            while True:
                data = channel.recv(CHUNK)
                if not data:
                    break
                sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except (OSError, EOFError):
            pass

    def down():
        try:
            while True:
                data = sock.recv(CHUNK)
                if not data:
                    break
                channel.sendall(data)
            channel.shutdown_write()
        except (OSError, EOFError):
            pass

    threads = [threading.Thread(target=up, daemon=True), threading.Thread(target=down, daemon=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    channel.close()
    sock.close()


def accept_forwarded(transport, listener, address, port):
    while True:
        try:
            sock, peer = listener.accept()
        except OSError:
            return
        try:
            channel = transport.open_forwarded_tcpip_channel(peer, (address, port))
        except Exception:  # noqa: BLE001 - the client refused: drop this connection
            sock.close()
            continue
        threading.Thread(target=pump_socket, args=(channel, sock), daemon=True).start()


class RootedHandle(paramiko.SFTPHandle):
    def stat(self):
        try:
            return paramiko.SFTPAttributes.from_stat(os.fstat(self.fd))
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)

    def chattr(self, attr):
        try:
            paramiko.SFTPServer.set_file_attr(self.real_path, attr)
            return SFTP_OK
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)


class RootedSftp(paramiko.SFTPServerInterface):
    """Serves the directory ROOT (set per server) as "/"."""

    ROOT = '/'

    def __init__(self, server, *args, **kwargs):
        super().__init__(server, *args, **kwargs)

    def virtual(self, path):
        path = path.decode() if isinstance(path, bytes) else path
        return os.path.normpath('/' + path).replace('//', '/')

    def real(self, path):
        return os.path.join(self.ROOT, self.virtual(path).lstrip('/'))

    @staticmethod
    def fail(error):
        return paramiko.SFTPServer.convert_errno(error.errno)

    def canonicalize(self, path):
        return self.virtual(path)

    def list_folder(self, path):
        real = self.real(path)
        try:
            entries = []
            for name in os.listdir(real):
                attr = paramiko.SFTPAttributes.from_stat(os.lstat(os.path.join(real, name)))
                attr.filename = name
                entries.append(attr)
            return entries
        except OSError as error:
            return self.fail(error)

    def stat(self, path):
        try:
            return paramiko.SFTPAttributes.from_stat(os.stat(self.real(path)))
        except OSError as error:
            return self.fail(error)

    def lstat(self, path):
        try:
            return paramiko.SFTPAttributes.from_stat(os.lstat(self.real(path)))
        except OSError as error:
            return self.fail(error)

    def open(self, path, flags, attr):
        real = self.real(path)
        mode = attr.st_mode if attr is not None and attr.st_mode is not None else 0o666
        try:
            fd = os.open(real, flags | getattr(os, 'O_BINARY', 0), mode & 0o7777)
        except OSError as error:
            return self.fail(error)
        if flags & os.O_CREAT and attr is not None:
            attr._flags &= ~attr.FLAG_PERMISSIONS
            paramiko.SFTPServer.set_file_attr(real, attr)
        if flags & os.O_WRONLY:
            fmode = 'ab' if flags & os.O_APPEND else 'wb'
        elif flags & os.O_RDWR:
            fmode = 'a+b' if flags & os.O_APPEND else 'r+b'
        else:
            fmode = 'rb'
        try:
            handle_file = os.fdopen(fd, fmode)
        except OSError as error:
            os.close(fd)
            return self.fail(error)
        handle = RootedHandle(flags)
        handle.fd = fd
        handle.real_path = real
        handle.filename = real
        if 'r' in fmode or '+' in fmode:
            handle.readfile = handle_file
        if 'w' in fmode or 'a' in fmode or '+' in fmode:
            handle.writefile = handle_file
        return handle

    def remove(self, path):
        try:
            os.remove(self.real(path))
            return SFTP_OK
        except OSError as error:
            return self.fail(error)

    def rename(self, oldpath, newpath):
        # SFTP v3 (filexfer-02 6.5): fails when newpath exists.
        old, new = self.real(oldpath), self.real(newpath)
        if os.path.lexists(new):
            return SFTP_FAILURE
        try:
            os.rename(old, new)
            return SFTP_OK
        except OSError as error:
            return self.fail(error)

    def posix_rename(self, oldpath, newpath):
        try:
            os.rename(self.real(oldpath), self.real(newpath))
            return SFTP_OK
        except OSError as error:
            return self.fail(error)

    def mkdir(self, path, attr):
        real = self.real(path)
        try:
            os.mkdir(real)
            if attr is not None:
                paramiko.SFTPServer.set_file_attr(real, attr)
            return SFTP_OK
        except OSError as error:
            return self.fail(error)

    def rmdir(self, path):
        try:
            os.rmdir(self.real(path))
            return SFTP_OK
        except OSError as error:
            return self.fail(error)

    def chattr(self, path, attr):
        try:
            paramiko.SFTPServer.set_file_attr(self.real(path), attr)
            return SFTP_OK
        except OSError as error:
            return self.fail(error)

    def symlink(self, target_path, path):
        target = target_path.decode() if isinstance(target_path, bytes) else target_path
        if target.startswith('/'):
            target = self.real(target)
        try:
            os.symlink(target, self.real(path))
            return SFTP_OK
        except OSError as error:
            return self.fail(error)

    def readlink(self, path):
        try:
            target = os.readlink(self.real(path))
        except OSError as error:
            return self.fail(error)
        root = self.ROOT.rstrip('/')
        if target == root:
            return '/'
        if target.startswith(root + '/'):
            return target[len(root):]
        return target


def serve(sock, config, host_keys):
    transport = paramiko.Transport(sock)
    try:
        for key in host_keys:
            transport.add_server_key(key)
        transport.use_compression(True)  # zlib@openssh.com and zlib, after none
        transport.load_server_moduli()  # diffie-hellman-group-exchange-* from /etc/ssh/moduli
        transport.set_subsystem_handler('sftp', paramiko.SFTPServer, RootedSftp)
        server = Server(config)
        server.transport = transport
        transport.start_server(server=server)
        channels = []  # paramiko closes a Channel that is garbage-collected: keep them
        while transport.is_active():
            channel = transport.accept(1)
            if channel is not None:
                channels.append(channel)
                with server.lock:
                    direct = server.direct.pop(channel.get_id(), None)
                if direct is not None:
                    try:
                        sock = socket.create_connection(direct[0], timeout=10)
                        sock.settimeout(None)
                    except OSError:
                        channel.close()
                    else:
                        threading.Thread(target=pump_socket, args=(channel, sock), daemon=True).start()
                channels = [c for c in channels if not c.closed]
    except Exception:  # noqa: BLE001 - one bad connection must not end the server
        traceback.print_exc()
    finally:
        transport.close()


def main():
    with open(sys.argv[1], encoding='utf-8') as file:
        config = json.load(file)
    if config.get('logFile'):
        logging.basicConfig(filename=config['logFile'], level=logging.DEBUG)
    else:
        logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    RootedSftp.ROOT = os.path.realpath(config['root'])
    host_keys = [load_host_key(path) for path in config['hostKeys']]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('127.0.0.1', 0))
    listener.listen(16)
    sys.stdout.write('INTEROP-READY %d\n' % listener.getsockname()[1])
    sys.stdout.flush()
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=serve, args=(sock, config, host_keys), daemon=True).start()


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        sys.exit(1)
