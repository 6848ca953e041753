"""Runs one command for the local sandbox without bubblewrap, and leaves nothing behind.

    python -S -I reaper.py RIGTUI_PID ARGV...

It makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER): whatever the command starts
and abandons, even in a session of its own (setsid, a double fork), becomes the reaper's child
instead of init's. When the command exits, when rigtui sends SIGTERM (timeout, cancel) or when
rigtui dies (PR_SET_PDEATHSIG), it kills every process left under it and reaps them, then exits
as the command did: the same status, or the same signal. rigtui then kills the process group,
as it always did. The reaper's environment is the command's (scrubbed): that is what the
command finds at /proc/$PPID/environ.

Only the standard library, and started without site packages (-S -I): it starts fast and needs
nothing of rigtui. What it cannot stop: a process that leaves through someone else (a systemd
unit, `at`, a D-Bus activation).
"""

from __future__ import annotations

# `_signal` and `_ctypes` (below), the C modules under `signal` and `ctypes`: importing those
# two (enum, struct...) would add half again to the reaper's start, which every command pays.
import _signal as signal
import errno
import os
import sys

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
WATCHED = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD}
# Python ignores these at start; exec keeps a signal ignored, so give the command the defaults.
RESTORED = (signal.SIGPIPE, signal.SIGXFSZ)


def prctl(option: int, value: int) -> bool:
    try:
        import _ctypes

        function = _ctypes.dlsym(_ctypes.dlopen(None), "prctl")
        return _ctypes.call_function(function, (option, value, 0, 0, 0)) == 0
    except (ImportError, AttributeError):  # another Python: the public way
        import ctypes

        return ctypes.CDLL(None).prctl(option, value, 0, 0, 0) == 0


def children() -> list[int]:
    """This process's children: the kernel's list, or a walk of /proc where it has none."""
    me = os.getpid()
    try:
        with open(f"/proc/{me}/task/{me}/children") as fh:
            return [int(pid) for pid in fh.read().split()]
    except OSError:
        pass
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rpartition(")")[2].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == me:
            found.append(int(entry))
    return found


def reap(command: int) -> int | None:
    """Reap every child that has exited; the command's wait status when it is one of them."""
    status = None
    while True:
        try:
            pid, code = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return status
        if pid == 0:
            return status
        if pid == command:
            status = code


def kill_all() -> None:
    """SIGKILL every child and reap it, round after round: the children of each one killed are
    handed to us before it can be reaped, so the next round finds them."""
    while True:
        reap(0)
        pids = children()
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def die_by(sig: int) -> None:
    """End this process with `sig`, as the command ended; no core file in the project."""
    prctl(PR_SET_DUMPABLE, 0)
    if sig not in (signal.SIGKILL, signal.SIGSTOP):  # those two have no handler to reset
        signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})
    os._exit(128 + sig)  # a signal whose default is not to end a process


def run(command: list[str]) -> None:
    """In the child: the signal state a shell would give it, then the command. fork and exec,
    not posix_spawn: glibc's posix_spawn leaves its two internal signals ignored in the child."""
    try:
        for sig in RESTORED:
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        os.execvp(command[0], command)
    except OSError as exc:
        missing = exc.errno == errno.ENOENT
        why = "command not found" if missing else (exc.strerror or "cannot run").lower()
        os.write(2, f"{command[0]}: {why}\n".encode(errors="replace"))
        os._exit(127 if missing else 126)
    finally:
        os._exit(127)


def main(argv: list[str]) -> int:
    rigtui, command = int(argv[0]), argv[1:]
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    # Fires when the thread that started us ends: rigtui starts commands from its event loop's
    # thread, which outlives them.
    prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)  # taken one at a time by sigwait below
    if os.getppid() != rigtui:  # rigtui ended before we could watch for it
        return 128 + signal.SIGTERM
    pid = os.fork()
    if pid == 0:
        run(command)
    while True:
        sig = signal.sigwait(WATCHED)
        if sig != signal.SIGCHLD:
            kill_all()
            die_by(sig)
        status = reap(pid)
        if status is not None:
            break
    kill_all()
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        die_by(-code)
    return code


if __name__ == "__main__":
    os._exit(main(sys.argv[1:]))  # nothing is buffered: skip the interpreter's shutdown
