"""The Docker sandbox: each command in a container from the project's image, the project
bind-mounted at /workspace, no network unless the project opts in, memory/CPU/pids limits, the
project owner's uid:gid, all capabilities dropped. A timeout or cancel kills the container.

Cold mode: one container per command, removed afterwards. Reuse mode: one long-lived container
per sandbox (one per thread), commands run in it with `exec` so state persists between them;
`close()` removes it. A timeout there kills that container; the next command starts a new one.
The Docker SDK blocks, so every call runs in a thread of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from rigtui.config import SandboxSettings, Settings
from rigtui.errors import RigtuiError
from rigtui.sandbox import engine
from rigtui.sandbox.base import OutputCallback, RunRequest, RunResult
from rigtui.sandbox.output import OutputCollector, not_found, resolve_cwd, shell_argv

WORKSPACE = PurePosixPath("/workspace")
EXEC_SETTLE = 5.0  # seconds to wait for an exec's exit code once its output has ended
T = TypeVar("T")
Chunk = tuple[bytes | None, bytes | None]  # (stdout, stderr), as the SDK demuxes them


async def in_thread(fn: Callable[[], T]) -> T:
    """Run a blocking call in its own daemon thread (not the shared pool, which long output
    streams would exhaust)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def target() -> None:
        try:
            value = fn()
        except BaseException as exc:  # handed to the awaiting task
            loop.call_soon_threadsafe(_settle, future, None, exc)
        else:
            loop.call_soon_threadsafe(_settle, future, value, None)

    threading.Thread(target=target, daemon=True).start()
    return await future


def _settle(future: asyncio.Future[Any], value: Any, exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(value)


class _ProgramMissing(Exception):
    """The image has no such program: reported like a shell would (127)."""


class _Job:
    """One command in flight: where its output comes from, how to learn its exit code, how to
    kill it and how to clean up after it."""

    def __init__(
        self,
        chunks: Iterator[Chunk],
        exit_status: Callable[[], tuple[int | None, bool]],
        kill: Callable[[], None],
        cleanup: Callable[[], None] = lambda: None,
    ) -> None:
        self.chunks = chunks
        self.exit_status = exit_status  # (exit code, stopped by the memory limit)
        self.kill = kill
        self.cleanup = cleanup


class DockerSandbox:
    def __init__(
        self,
        client: Any,
        stream_client: Any,
        root: Path,
        conf: SandboxSettings,
        *,
        image: str,
        thread_id: str = "",
        reuse: bool | None = None,
    ) -> None:
        self.client = client  # control calls, with a timeout
        self.stream_client = stream_client  # output streams, which may be silent for long
        self.root = Path(root).resolve()
        self.conf = conf
        self.image = image
        self.thread_id = thread_id
        self.reuse = conf.reuse_container if reuse is None else reuse
        self.user = engine.owner_user(self.root)
        self.name = f"docker:{image}"
        self.note = f"engine {engine.engine_address()}" + (
            ", network on" if conf.network else ", no network"
        )
        self.removed_leftovers: list[str] = []
        self._container: Any = None
        self._container_lock = asyncio.Lock()

    @classmethod
    def connect(
        cls,
        settings: Settings,
        root: Path,
        *,
        image: str | None = None,
        thread_id: str = "",
        reuse: bool | None = None,
    ) -> DockerSandbox:
        """Connect, check the image, remove leftovers of killed rigtuis; a RigtuiError naming
        the problem and the fix when any of that fails."""
        client = engine.connect()
        chosen = image or settings.sandbox.image
        engine.ensure_image(client, chosen)
        stream_client = engine.connect(timeout=None, version=client.api.api_version)
        box = cls(
            client, stream_client, root, settings.sandbox, image=chosen, thread_id=thread_id,
            reuse=reuse,
        )  # fmt: skip
        box.removed_leftovers = engine.clean_leftovers(client)
        engine.remove_ours_at_exit(client)
        return box

    # --- container settings ------------------------------------------------------------------

    def _env(self, extra: Mapping[str, str]) -> dict[str, str]:
        home = "/root" if self.user.startswith("0:") else "/tmp"
        return {"HOME": home, "LANG": "C.UTF-8", "TERM": "dumb", **extra}

    def _host_config(self) -> dict[str, Any]:
        conf = self.conf
        return {
            "volumes": {str(self.root): {"bind": str(WORKSPACE), "mode": conf.mount}},
            "network_mode": None if conf.network else "none",
            "mem_limit": conf.memory,
            "memswap_limit": conf.memory,  # no swap: the memory limit is the limit
            "nano_cpus": int(conf.cpus * 1e9),
            "pids_limit": conf.pids,
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "user": self.user,
        }

    def _workdir(self, cwd: Path) -> str:
        return str(WORKSPACE / cwd.relative_to(self.root).as_posix())

    # --- running -----------------------------------------------------------------------------

    async def run(self, request: RunRequest, on_output: OutputCallback | None = None) -> RunResult:
        cwd = resolve_cwd(self.root, request.cwd)
        argv = shell_argv(request.command)
        env = self._env(request.env)
        collector = OutputCollector(request.output_limit, on_output)
        started = time.monotonic()
        try:
            job = await self._start(argv, self._workdir(cwd), env)
        except _ProgramMissing:
            return await not_found(argv[0], self.name, collector)
        timed_out = False
        try:
            await asyncio.wait_for(_consume(job.chunks, collector), request.timeout)
        except TimeoutError:
            timed_out = True
            await in_thread(job.kill)
        except BaseException:
            await asyncio.shield(in_thread(lambda: (job.kill(), job.cleanup())))
            raise
        try:
            exit_code, oom = (None, False) if timed_out else await in_thread(job.exit_status)
        finally:
            await in_thread(job.cleanup)
        await collector.finish()
        return RunResult(
            exit_code=exit_code,
            stdout=collector.text("stdout"),
            stderr=collector.text("stderr"),
            duration=time.monotonic() - started,
            timed_out=timed_out,
            killed=timed_out or oom,
            truncated=collector.truncated,
            sandbox=self.name,
        )

    async def _start(self, argv: list[str], workdir: str, env: dict[str, str]) -> _Job:
        try:
            if self.reuse:
                container = await self._reusable_container()
                return await in_thread(lambda: self._exec(container, argv, workdir, env))
            return await in_thread(lambda: self._cold(argv, workdir, env))
        except RigtuiError:
            raise
        except Exception as exc:
            text = str(exc)
            if "executable file not found" in text or (
                'exec: "' in text and "no such file" in text
            ):
                raise _ProgramMissing from exc
            raise _run_error(exc, self.image) from exc

    def _cold(self, argv: list[str], workdir: str, env: dict[str, str]) -> _Job:
        container = self.client.containers.create(
            self.image,
            command=argv,
            working_dir=workdir,
            environment=env,
            labels=engine.labels(self.root, self.thread_id, reused=False),
            **self._host_config(),
        )
        try:
            stream = self.stream_client.api.attach(
                container.id, stdout=True, stderr=True, stream=True, logs=True, demux=True
            )
            container.start()
        except BaseException:
            container.remove(force=True)
            raise

        def exit_status() -> tuple[int | None, bool]:
            code = container.wait()["StatusCode"]
            container.reload()
            return code, bool(container.attrs["State"].get("OOMKilled"))

        return _Job(stream, exit_status, lambda: _kill(container), lambda: _remove(container))

    async def _reusable_container(self) -> Any:
        async with self._container_lock:
            if self._container is None:
                self._container = await in_thread(self._create_long_lived)
            return self._container

    def _create_long_lived(self) -> Any:
        return self.client.containers.run(
            self.image,
            command=["sleep", "infinity"],
            detach=True,
            init=True,  # reaps what the commands leave behind
            working_dir=str(WORKSPACE),
            environment=self._env({}),
            labels=engine.labels(self.root, self.thread_id, reused=True),
            **self._host_config(),
        )

    def _exec(self, container: Any, argv: list[str], workdir: str, env: dict[str, str]) -> _Job:
        api = self.stream_client.api
        exec_id = api.exec_create(
            container.id, argv, workdir=workdir, environment=env, user=self.user
        )["Id"]
        stream = api.exec_start(exec_id, stream=True, demux=True)

        def exit_status() -> tuple[int | None, bool]:
            # The stream can end a moment before the engine records the exit code.
            deadline = time.monotonic() + EXEC_SETTLE
            while True:
                info = self.client.api.exec_inspect(exec_id)
                if not info.get("Running") or time.monotonic() > deadline:
                    return info.get("ExitCode"), False
                time.sleep(0.01)

        def kill() -> None:
            # No API kills one exec: kill its container; the next command gets a fresh one.
            if self._container is container:
                self._container = None
            _remove(container)

        return _Job(stream, exit_status, kill)

    async def close(self) -> None:
        container, self._container = self._container, None
        if container is not None:
            await in_thread(lambda: _remove(container))
        for client in (self.client, self.stream_client):
            with contextlib.suppress(Exception):
                client.close()


async def _consume(chunks: Iterator[Chunk], collector: OutputCollector) -> None:
    """Read the SDK's blocking output iterator in a thread, feed the collector here."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Chunk | BaseException | None] = asyncio.Queue()

    def reader() -> None:
        try:
            for chunk in chunks:
                loop.call_soon_threadsafe(queue.put_nowait, chunk)
        except BaseException as exc:  # the stream broke: report it in the loop
            loop.call_soon_threadsafe(queue.put_nowait, exc)
        else:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=reader, daemon=True).start()
    while (item := await queue.get()) is not None:
        if isinstance(item, BaseException):
            raise RigtuiError(f"lost the command's output stream: {item}")
        out, err = item
        if out:
            await collector.feed("stdout", out)
        if err:
            await collector.feed("stderr", err)


def _kill(container: Any) -> None:
    with contextlib.suppress(Exception):  # already gone or already stopped
        container.kill()


def _remove(container: Any) -> None:
    with contextlib.suppress(Exception):
        container.remove(force=True)


def _run_error(exc: Exception, image: str) -> RigtuiError:
    from docker.errors import ImageNotFound

    if isinstance(exc, ImageNotFound):
        return RigtuiError(
            f"the sandbox image {image!r} disappeared from the Docker engine",
            fix=f"rebuild or pull it, {engine.LOCAL_FIX}",
        )
    if "bind source path does not exist" in str(exc):
        return RigtuiError(
            "the project folder does not exist on the Docker engine's host",
            fix="on a remote engine (DOCKER_HOST) the project must be at the same path there "
            f"(see docs/sandbox.md), {engine.LOCAL_FIX}",
        )
    first = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    return RigtuiError(f"Docker could not run the command: {first}", fix=engine.LOCAL_FIX)
