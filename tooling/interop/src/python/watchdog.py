"""Watchdog for one peer process started by @ssh/interop.

Usage: watchdog.py [--cleanup <dir>] <grace-ms> -- <command> [args...]

File descriptor 3 is the lifeline: a socket from the Node process that
started us. We report the peer's PID on it ("pid <n>\\n"), and when it reaches
end-of-file (Node stopped us, exited, or was killed, even by SIGKILL) we end
the peer and everything it started: SIGTERM, then SIGKILL after the grace
period. SIGTERM, SIGINT and SIGHUP sent to the watchdog do the same.

We make ourselves a child subreaper, so descendants that lose their parent
(sshd's per-connection children, which call setsid()) are re-parented to us
and can still be found and ended. When the peer exits by itself, anything it
left behind is ended too, and we exit with the peer's status (re-raising the
signal that killed it).
"""

import os
import select
import signal
import sys
import time

LIFELINE_FD = 3
PR_SET_CHILD_SUBREAPER = 36
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

state = {'stop': False}


def on_stop_signal(_signum, _frame):
    state['stop'] = True


def lifeline_write(text):
    try:
        os.write(LIFELINE_FD, text.encode())
    except OSError:
        pass


def spawn(argv):
    """fork + setsid + exec; returns (pid, None) or (None, error text)."""
    err_r, err_w = os.pipe()  # both close-on-exec: EOF without data means exec worked
    pid = os.fork()
    if pid == 0:
        try:
            os.close(err_r)
            os.setsid()
            for sig in STOP_SIGNALS + (signal.SIGCHLD,):
                signal.signal(sig, signal.SIG_DFL)
            try:
                os.close(LIFELINE_FD)
            except OSError:
                pass
            os.execvp(argv[0], argv)
        except BaseException as error:  # noqa: BLE001 - report anything, then leave
            try:
                os.write(err_w, str(error).encode())
            finally:
                os._exit(127)
    os.close(err_w)
    chunks = []
    while True:
        chunk = os.read(err_r, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(err_r)
    if chunks:
        os.waitpid(pid, 0)
        return None, b''.join(chunks).decode(errors='replace')
    return pid, None


def become_subreaper():
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except Exception:
        pass


def descendants(root):
    children = {}
    try:
        names = os.listdir('/proc')
    except OSError:
        return []
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open('/proc/' + name + '/stat', 'rb') as stat:
                data = stat.read()
        except OSError:
            continue
        fields = data[data.rfind(b')') + 2:].split()
        if len(fields) < 2 or fields[0] == b'Z':
            continue
        children.setdefault(int(fields[1]), []).append(int(name))
    found = []
    stack = [root]
    while stack:
        for pid in children.get(stack.pop(), ()):
            found.append(pid)
            stack.append(pid)
    return found


def signal_all(sig, group):
    if group is not None:
        try:
            os.killpg(group, sig)
        except OSError:
            pass
    for pid in descendants(os.getpid()):
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def reap(child_pid, status):
    """Reap every exited child; returns the peer's status once seen."""
    while True:
        try:
            pid, st = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return status
        if pid == 0:
            return status
        if pid == child_pid:
            status = st


def remove_tree(path):
    import shutil
    shutil.rmtree(path, ignore_errors=True)


def main():
    argv = sys.argv[1:]
    cleanup = None
    if len(argv) >= 2 and argv[0] == '--cleanup':
        cleanup = argv[1]
        argv = argv[2:]
    if len(argv) < 3 or argv[1] != '--':
        sys.stderr.write('usage: watchdog.py [--cleanup <dir>] <grace-ms> -- <command> [args...]\n')
        return 2
    grace = max(0.0, float(argv[0]) / 1000.0)
    become_subreaper()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda _signum, _frame: None)
    for sig in STOP_SIGNALS:
        signal.signal(sig, on_stop_signal)
    child, error = spawn(argv[2:])
    if child is None:
        lifeline_write('error %s\n' % error)
        return 127
    lifeline_write('pid %d\n' % child)

    watched = [wake_r]
    try:
        os.fstat(LIFELINE_FD)
        watched.append(LIFELINE_FD)
    except OSError:
        pass
    status = None
    while True:
        status = reap(child, status)
        if status is not None or state['stop']:
            break
        readable, _, _ = select.select(watched, [], [])
        if wake_r in readable:
            os.read(wake_r, 4096)
        if LIFELINE_FD in readable:
            try:
                data = os.read(LIFELINE_FD, 4096)
            except OSError:
                data = b''
            if not data:
                state['stop'] = True
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)

    # Ask politely first: the peer (or what it left behind) gets SIGTERM and
    # the grace period; whatever is still there afterwards gets SIGKILL.
    group = child if status is None else None
    signal_all(signal.SIGTERM, group)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        status = reap(child, status)
        if status is not None and not descendants(os.getpid()):
            break
        time.sleep(0.01)
    for _ in range(200):
        status = reap(child, status)
        if not descendants(os.getpid()):
            break
        signal_all(signal.SIGKILL, child if status is None else None)
        time.sleep(0.01)
    status = reap(child, status)
    if cleanup is not None:
        remove_tree(cleanup)

    if status is None:
        return 137
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        return 128 + sig
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1


if __name__ == '__main__':
    sys.exit(main())
