"""Pieces every sandbox shares: collecting streamed output under a limit, the scrubbed
environment, and checking that a working folder lies inside the project."""

from __future__ import annotations

import codecs
import inspect
import os
import re
from collections.abc import Mapping
from pathlib import Path

from rigtui.errors import BadInput
from rigtui.sandbox.base import OutputCallback, RunResult, Stream

# Variable names that look like credentials, or like where credentials are kept: never handed
# to a sandboxed command. Matched anywhere in the name, ignoring case. `_PWD$` spares PWD and
# OLDPWD; `(^|_)PASS(_|$)` spares BYPASS and COMPASS.
_SECRET_NAME = re.compile(
    r"_KEY$|_KEYS$|_KEY_|^KEY$|APIKEY|API_KEY|ACCESS_KEY|PRIVATE|SESSION_KEY|"
    r"_TOKEN$|^TOKEN$|TOKEN_|SECRET|CREDENTIAL|COOKIE|JWT|_PAT$|"
    r"PASSWORD|PASSWD|PASSPHRASE|PASSFILE|ASKPASS|(^|_)PASS(_|$)|_PWD$|"
    r"(^|_)AUTH(_|$)|AUTHORIZATION|(^|_)DSN$|WEBHOOK|CONNECTION_STRING|CONN_STR",
    re.IGNORECASE,
)
# Never passed on either: they point the child at credentials kept in files, or at our own
# engine, agent and bus sockets.
_ALSO_DROPPED = frozenset(
    {
        "SSH_AUTH_SOCK",
        "GPG_AGENT_INFO",
        "GNOME_KEYRING_CONTROL",
        "DBUS_SESSION_BUS_ADDRESS",
        "DOCKER_HOST",
        "DOCKER_CERT_PATH",
        "DOCKER_CONFIG",
        "CONTAINER_HOST",
        "KUBECONFIG",
        "NETRC",
        "KRB5CCNAME",
        "XAUTHORITY",
        "SSHPASS",
    }
)
# Values that carry a credential whatever the variable is called: a login in a URL
# (scheme://user[:password]@host, as in DATABASE_URL, HTTP_PROXY, PIP_INDEX_URL), a private key,
# and the token formats of the big hosts (OpenAI, GitHub, GitLab, Slack, AWS, Hugging Face).
_SECRET_VALUE = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s@]+@|-----BEGIN [A-Z ]*PRIVATE KEY|"
    r"(?<![A-Za-z0-9_-])(sk-[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{30,}|"
    r"glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|(AKIA|ASIA)[0-9A-Z]{16}|"
    r"hf_[A-Za-z0-9]{30,})"
)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name)) or name.upper() in _ALSO_DROPPED


def is_secret(name: str, value: str) -> bool:
    """Whether a variable looks like a credential, by its name or by its value."""
    return is_secret_name(name) or bool(_SECRET_VALUE.search(value))


# Not passed to commands either: CDPATH sends `cd sub` to folders outside the project, which
# the approval policy (rigtui.sandbox.policy) could not see coming.
UNPASSED = {"CDPATH"}


def scrubbed_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) without anything that looks like a secret,
    nor CDPATH."""
    source = os.environ if base is None else base
    return {k: v for k, v in source.items() if not is_secret(k, v) and k not in UNPASSED}


def resolve_cwd(root: Path, cwd: Path | str | None) -> Path:
    """The working folder as an absolute path inside `root`, or BadInput."""
    root = Path(root).resolve()
    target = root if cwd is None else Path(cwd)
    if not target.is_absolute():
        target = root / target
    target = target.resolve()
    if target != root and root not in target.parents:
        raise BadInput(
            f"{target}: working folder is outside the project {root}",
            fix="run commands from the project folder or a folder inside it",
        )
    if not target.is_dir():
        raise BadInput(f"{target}: no such folder", fix="create it first, or pick another")
    return target


class OutputCollector:
    """Decodes chunks as they arrive, keeps up to `limit` bytes per stream, streams what it
    keeps through the callback, and counts (but drops) the rest."""

    def __init__(self, limit: int, on_output: OutputCallback | None) -> None:
        self.limit = max(0, limit)
        self.on_output = on_output
        self.truncated = False
        self._kept: dict[Stream, list[str]] = {"stdout": [], "stderr": []}
        self._size: dict[Stream, int] = {"stdout": 0, "stderr": 0}
        self._decoders = {
            name: codecs.getincrementaldecoder("utf-8")(errors="replace")
            for name in ("stdout", "stderr")
        }

    async def feed(self, stream: Stream, data: bytes) -> None:
        room = self.limit - self._size[stream]
        self._size[stream] += len(data)
        if room <= 0:
            self.truncated = self.truncated or bool(data)
            return
        if len(data) > room:
            data = data[:room]
            self.truncated = True
        text = self._decoders[stream].decode(data)
        await self._emit(stream, text)

    async def finish(self) -> None:
        for stream in ("stdout", "stderr"):
            tail = self._decoders[stream].decode(b"", final=True)
            await self._emit(stream, tail)  # type: ignore[arg-type]

    async def _emit(self, stream: Stream, text: str) -> None:
        if not text:
            return
        self._kept[stream].append(text)
        if self.on_output is not None:
            result = self.on_output(stream, text)
            if inspect.isawaitable(result):
                await result

    def text(self, stream: Stream) -> str:
        return "".join(self._kept[stream])

    def total_bytes(self, stream: Stream) -> int:
        return self._size[stream]


def shell_argv(command: object) -> list[str]:
    """argv for a RunRequest command: a string runs through /bin/sh -c."""
    if isinstance(command, str):
        if not command.strip():
            raise BadInput("empty command", fix="give the command to run")
        return ["/bin/sh", "-c", command]
    argv = [str(part) for part in command]  # type: ignore[attr-defined]
    if not argv:
        raise BadInput("empty command", fix="give the command to run")
    return argv


async def not_found(
    program: str, sandbox: str, collector: OutputCollector, code: int = 127
) -> RunResult:
    """The result a shell gives for a program that does not exist (127) or cannot run (126),
    so every sandbox reports it the same way."""
    why = "command not found" if code == 127 else "permission denied"
    await collector.feed("stderr", f"{program}: {why}\n".encode())
    await collector.finish()
    return RunResult(
        exit_code=code,
        stdout=collector.text("stdout"),
        stderr=collector.text("stderr"),
        duration=0.0,
        sandbox=sandbox,
    )
