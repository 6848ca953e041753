#!/usr/bin/env python3
"""A stand-in for OpenSSH's `ssh -nNT -L LOCAL:REMOTE host`, for tests: it records its
arguments, then forwards LOCAL to the unix socket named by FAKE_SSH_REMOTE (a real Docker
engine's socket) as if it were REMOTE on the far host. FAKE_SSH_FAIL makes it fail like ssh."""

import json
import os
import socket
import sys
import threading


def pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main() -> int:
    args = sys.argv[1:]
    with open(os.environ["FAKE_SSH_LOG"], "a") as log:
        log.write(json.dumps(args) + "\n")
    if os.environ.get("FAKE_SSH_FAIL"):
        print(os.environ["FAKE_SSH_FAIL"], file=sys.stderr)
        return 255
    local = args[args.index("-L") + 1].split(":", 1)[0]
    server = socket.socket(socket.AF_UNIX)
    server.bind(local)
    server.listen()
    while True:
        client, _ = server.accept()
        upstream = socket.socket(socket.AF_UNIX)
        upstream.connect(os.environ["FAKE_SSH_REMOTE"])
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=pump, args=(a, b), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
