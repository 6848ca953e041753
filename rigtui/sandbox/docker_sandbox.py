"""The Docker sandbox: each command in a container from the project's image, the project
bind-mounted at /workspace, no network unless the project opts in, memory/CPU/pids limits, the
project owner's uid:gid, all capabilities dropped. A timeout or cancel kills the container.

Cold mode: one container per command, removed afterwards. Reuse mode: one long-lived container
per sandbox (one per thread), commands run in it with `exec` so state persists between them;
`close()` removes it. A timeout there kills that container; the next command starts a new one.

`mount = "capture"` (the default for the model's commands) or `"ro"`: the project itself is
never writable. Each command gets a fresh container whose
/workspace is an overlay volume: the project is its read-only lower layer, and what the command
writes lands in an upper layer (an engine-side volume, so remote engines work too). Afterwards
the upper layer is read back through the engine (`get_archive`) and returned as
`RunResult.captured`, for review as a change set (rigtui.sandbox.capture).

The Docker SDK blocks, so every call runs in a thread of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from rigtui.config import SandboxSettings, Settings
from rigtui.errors import RigtuiError
from rigtui.sandbox import engine
from rigtui.sandbox.base import OutputCallback, RunRequest, RunResult
from rigtui.sandbox.capture import (
    TIMED_OUT,
    Capture,
    LayerEntry,
    Written,
    check_size,
    collect,
    opaque_probes,
    overlay_path_ok,
    written_from_layer,
)
from rigtui.sandbox.output import OutputCollector, not_found, resolve_cwd, shell_argv

WORKSPACE = PurePosixPath("/workspace")
SIGKILLED = 137  # 128 + SIGKILL: how a command the memory limit killed exits
OOM_COUNTERS = "cat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control"
LAYER = PurePosixPath("/rigtui/layer")  # mount = "ro": the overlay's upper layer, read-only
# mount = "ro": one shell loop prints which of its arguments no longer exist
PROBE_SCRIPT = 'for p; do [ -e "$p" ] || [ -h "$p" ] || printf "%s\\n" "$p"; done'
STAT_PROBES = 3  # up to this many paths are checked with the engine's stat, not a process
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
        collect: Callable[[], Written] | None = None,
    ) -> None:
        self.chunks = chunks
        self.exit_status = exit_status  # (exit code, stopped by the memory limit)
        self.kill = kill
        self.cleanup = cleanup
        self.collect = collect  # mount = "ro": what the command wrote, read before cleanup


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
        # A read-only project gives every command a fresh copy-on-write view: state kept
        # between commands would hide what each one wrote.
        self.read_only = conf.mount in ("ro", "capture")
        self.reuse = (conf.reuse_container if reuse is None else reuse) and not self.read_only
        self.user = engine.owner_user(self.root)
        self.name = f"docker:{image}"
        self.note = f"engine {engine.engine_address()}" + (
            ", network on" if conf.network else ", no network"
        )
        if conf.mount == "ro":
            self.note += ", project read-only (changes captured for review)"
        elif self.read_only:
            self.note += ", writes captured as change sets"
        self.removed_leftovers: list[str] = []
        self._container: Any = None
        self._container_lock = asyncio.Lock()
        self._oom_kills_seen: dict[str, int] = {}  # container id -> the cgroup's oom_kill count
        self._discarding: set[asyncio.Future[None]] = set()  # jobs cancelled while starting
        # captured commands: the next command's overlay container, made ahead (`_make_spare`)
        self._spares = ThreadPoolExecutor(1, "rigtui-spare") if self.read_only else None
        self._spare: Future[tuple[Any, list[Any]]] | None = None
        self._spare_lock = threading.Lock()
        self._closed = False

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
            # read-only projects replace this with an overlay (`_overlay_container`)
            "volumes": {str(self.root): {"bind": str(WORKSPACE), "mode": "rw"}},
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
        captured = None
        try:
            exit_code, oom = (None, False) if timed_out else await in_thread(job.exit_status)
            if job.collect is not None:
                captured = await self._captured(job.collect, timed_out)
        finally:
            await in_thread(job.cleanup)
        await collector.finish()
        stdout = collector.text("stdout")
        if exit_code in (126, 127) and _exec_missing_program(stdout):
            # `exec` reports a missing program in the output stream, with 126: report it as
            # the cold path and the local sandbox do
            return await not_found(argv[0], self.name, OutputCollector(request.output_limit, None))
        return RunResult(
            exit_code=exit_code,
            stdout=stdout,
            stderr=collector.text("stderr"),
            duration=time.monotonic() - started,
            timed_out=timed_out,
            killed=timed_out or oom,
            truncated=collector.truncated,
            sandbox=self.name,
            captured=captured,
        )

    async def _captured(self, read: Callable[[], Written], timed_out: bool) -> Capture:
        if timed_out:
            return TIMED_OUT
        return await in_thread(lambda: collect(self.root, read))

    async def _start(self, argv: list[str], workdir: str, env: dict[str, str]) -> _Job:
        try:
            if self.read_only:
                return await self._started(lambda: self._overlay(argv, workdir, env))
            if self.reuse:
                container = await self._reusable_container()
                return await self._started(lambda: self._exec(container, argv, workdir, env))
            return await self._started(lambda: self._cold(argv, workdir, env))
        except RigtuiError:
            raise
        except Exception as exc:
            text = str(exc)
            if "executable file not found" in text or (
                'exec: "' in text and "no such file" in text
            ):
                raise _ProgramMissing from exc
            raise _run_error(exc, self.image) from exc

    async def _started(self, start: Callable[[], _Job]) -> _Job:
        """Start a job in its thread. Cancelled meanwhile, the thread still finishes creating
        the container (and volumes): they are then killed and removed (`close` waits for it),
        not left until rigtui exits."""
        future = asyncio.ensure_future(in_thread(start))
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            discard = asyncio.ensure_future(_discard_when_started(future))
            self._discarding.add(discard)
            discard.add_done_callback(self._discarding.discard)
            raise

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
                    code = info.get("ExitCode")
                    return code, code == SIGKILLED and self._new_oom_kill(container)
                time.sleep(0.01)

        def kill() -> None:
            # No API kills one exec: kill its container; the next command gets a fresh one.
            if self._container is container:
                self._container = None
            _remove(container)

        return _Job(stream, exit_status, kill)

    # --- mount = "ro": an overlay over the project, its upper layer captured ------------------

    def _overlay(self, argv: list[str], workdir: str, env: dict[str, str]) -> _Job:
        if not overlay_path_ok(self.root):
            raise RigtuiError(
                f"{self.root}: a read-only project is mounted through an overlay, whose options"
                " cannot hold a path with ',' or ':'",
                fix='move the project, or use [sandbox] mount = "rw"',
            )
        container, volumes = self._take_spare() or self._new_overlay()
        self._make_spare()  # the next command's, while this one runs
        try:
            job = self._exec(container, argv, workdir, env)
        except BaseException:
            _remove_all(container, volumes)
            raise
        job.kill = lambda: _kill(container)
        job.cleanup = lambda: self._retire(container, volumes)
        job.collect = lambda: self._collect(container)
        return job

    # A container's life is most of a captured command's cost (making the overlay container
    # ~200 ms, removing it ~60 ms, against ~100 ms for the command and reading its layer back):
    # the next command's container is made while this one runs, and a used one is removed
    # after the result is back. One spare per sandbox; its overlay's lower layer is the live
    # project, and nothing in it has looked at the project before its command runs.

    def _new_overlay(self) -> tuple[Any, list[Any]]:
        labels = engine.labels(self.root, self.thread_id, reused=False)
        volumes: list[Any] = []
        try:
            return self._overlay_container(labels, volumes), volumes
        except BaseException:
            _remove_all(None, volumes)
            raise

    def _take_spare(self) -> tuple[Any, list[Any]] | None:
        with self._spare_lock:
            spare, self._spare = self._spare, None
        if spare is None:
            return None
        try:
            return spare.result()
        except Exception:  # made again now, and its error (if it persists) reported then
            return None

    def _make_spare(self) -> None:
        with self._spare_lock:
            if self._spares is not None and not self._closed and self._spare is None:
                self._spare = self._spares.submit(self._new_overlay)

    def _retire(self, container: Any, volumes: list[Any]) -> None:
        try:
            if self._spares is not None:
                self._spares.submit(_remove_all, container, volumes)
                return
        except RuntimeError:  # closed meanwhile: remove it here
            pass
        _remove_all(container, volumes)

    def _close_spares(self) -> None:
        """Remove the spare and wait for the used containers' removal."""
        with self._spare_lock:
            self._closed = True
            spare, self._spare = self._spare, None
        if spare is not None:
            with contextlib.suppress(Exception):
                _remove_all(*spare.result())
        if self._spares is not None:
            self._spares.shutdown(wait=True)

    def _overlay_container(self, labels: dict[str, str], volumes: list[Any]) -> Any:
        """A running container (idle, `sleep infinity`) whose /workspace is the project under a
        fresh writable layer. `volumes` collects what to remove afterwards, in order."""
        upper = self.client.volumes.create(labels=labels)
        volumes.append(upper)
        work = self.client.volumes.create(labels=labels)
        volumes.append(work)
        options = (
            f"lowerdir={self.root},upperdir={upper.attrs['Mountpoint']},"
            f"workdir={work.attrs['Mountpoint']}"
        )
        layer = self.client.volumes.create(
            driver="local",
            driver_opts={"type": "overlay", "device": "overlay", "o": options},
            labels=labels,
        )
        volumes.insert(0, layer)  # removed before the layers it stacks
        config = self._host_config()
        config["volumes"] = {
            layer.name: {"bind": str(WORKSPACE), "mode": "rw"},
            upper.name: {"bind": str(LAYER), "mode": "ro"},
        }
        as_root = self.user.startswith("0:")
        if not as_root:  # only to give the new layer's top folder to the user, below
            config["user"] = "0:0"
            config["cap_add"] = ["CHOWN"]
        try:
            container = self.client.containers.run(
                self.image,
                command=["sleep", "infinity"],
                detach=True,
                init=True,
                working_dir=str(WORKSPACE),
                environment=self._env({}),
                labels=labels,
                **config,
            )
        except Exception as exc:
            if "overlay" in str(exc) or "mount" in str(exc):
                raise RigtuiError(
                    f"the Docker engine could not mount the project copy-on-write: {exc}",
                    fix='the engine host needs overlayfs; or use [sandbox] mount = "rw"'
                    f" {engine.LOCAL_FIX.removeprefix('or ')}",
                ) from exc
            raise
        if not as_root:
            code, output = self._exec_quiet(container, ["chown", self.user, str(WORKSPACE)], "0:0")
            if code != 0:
                raise RigtuiError(
                    f"could not give the sandbox user its workspace: {output.strip()}",
                    fix="the image needs `chown` (coreutils or busybox)",
                )
        return container

    def _new_oom_kill(self, container: Any) -> bool:
        """Whether the memory limit killed a process since we last looked: the container's
        state only records that for its main process, not for an `exec`, so read the
        cgroup's oom_kill counter (cgroup v2 memory.events, or v1 memory.oom_control)."""
        _, output = self._exec_quiet(container, ["sh", "-c", OOM_COUNTERS], self.user)
        kills = 0
        for line in output.splitlines():
            name, _, value = line.partition(" ")
            if name == "oom_kill" and value.strip().isdigit():
                kills = int(value)
        seen = self._oom_kills_seen.get(container.id, 0)
        self._oom_kills_seen[container.id] = kills
        return kills > seen

    def _exec_quiet(self, container: Any, argv: list[str], user: str) -> tuple[int, str]:
        api = self.client.api
        exec_id = api.exec_create(container.id, argv, user=user)["Id"]
        output = api.exec_start(exec_id)
        return api.exec_inspect(exec_id).get("ExitCode", -1), output.decode(errors="replace")

    def _collect(self, container: Any) -> Written:
        entries = self._layer_entries(container)
        probes = opaque_probes(self.root, entries)
        opaque: set[str] = set()
        if probes:
            paths = {str(WORKSPACE / probe): folder for folder, probe in probes.items()}
            opaque = {paths[path] for path in self._missing(container, list(paths))}
        return written_from_layer(self.root, entries, opaque)

    def _missing(self, container: Any, paths: list[str]) -> set[str]:
        """Which of `paths` the container's view no longer shows. A few: one stat each from
        the engine (`HEAD .../archive`, no process started in the container: a command's
        edit usually needs one); more: one shell loop in the container."""
        if len(paths) > STAT_PROBES:
            code, output = self._exec_quiet(
                container, ["sh", "-c", PROBE_SCRIPT, "sh", *paths], self.user
            )
            if code != 0:
                raise RigtuiError(f"could not check the project's folders: {output.strip()}")
            return set(output.splitlines()) & set(paths)
        api = self.client.api
        url = api._url("/containers/{0}/archive", container.id)
        missing: set[str] = set()
        for path in paths:
            status = api.head(url, params={"path": path}).status_code
            if status == 404:
                missing.add(path)
            elif status >= 400:
                raise RigtuiError(f"could not check the project's folders: {path}: {status}")
        return missing

    def _layer_entries(self, container: Any) -> list[LayerEntry]:
        """The upper layer as the engine archives it: whiteouts are 0/0 character devices."""
        chunks, _ = self.stream_client.api.get_archive(container.id, str(LAYER))
        with tempfile.SpooledTemporaryFile(max_size=8 * 2**20) as spool:
            size = 0
            for chunk in chunks:
                size += len(chunk)
                check_size(size)
                spool.write(chunk)
            spool.seek(0)
            with tarfile.open(fileobj=spool, mode="r:") as archive:
                return [e for m in archive if (e := _layer_entry(archive, m)) is not None]

    async def close(self) -> None:
        if self._discarding:  # their containers are still being made: remove them first
            await asyncio.gather(*self._discarding, return_exceptions=True)
        container, self._container = self._container, None
        if container is not None:
            await in_thread(lambda: _remove(container))
        await in_thread(self._close_spares)
        for client in (self.client, self.stream_client):
            with contextlib.suppress(Exception):
                client.close()


async def _discard_when_started(future: asyncio.Future[_Job]) -> None:
    try:
        job = await future
    except Exception:  # it failed to start: nothing was left running
        return
    await in_thread(lambda: (job.kill(), job.cleanup()))


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


def _exec_missing_program(stdout: str) -> bool:
    first = stdout.lstrip().splitlines()[0] if stdout.strip() else ""
    return first.startswith("OCI runtime exec failed") and "executable file not found" in first


def _remove_all(container: Any, volumes: list[Any]) -> None:
    if container is not None:
        _remove(container)
    for volume in volumes:
        with contextlib.suppress(Exception):
            volume.remove(force=True)


def _layer_entry(archive: tarfile.TarFile, member: tarfile.TarInfo) -> LayerEntry | None:
    _, _, path = member.name.partition("/")  # the archive's top folder is the layer itself
    if not path:
        return None
    if member.islnk():
        # A hard link within the layer. Overlayfs may give every whiteout one shared inode, so
        # the second deletion in a layer arrives as a link to the first: what it is comes
        # from its target.
        try:
            target = archive.getmember(member.linkname)
        except KeyError:
            return LayerEntry(path, "other")
        if not target.isfile():
            return _layer_entry(archive, _as_path(target, member.name))
    if member.isfile() or member.islnk():
        handle = archive.extractfile(member)
        return LayerEntry(path, "file", handle.read() if handle else b"", member.mode & 0o7777)
    if member.isdir():
        return LayerEntry(path, "dir")
    if member.ischr() and member.devmajor == 0 and member.devminor == 0:
        return LayerEntry(path, "whiteout")
    return LayerEntry(path, "other")


def _as_path(member: tarfile.TarInfo, name: str) -> tarfile.TarInfo:
    """`member` under another name (a hard link's, as its target's kind)."""
    twin = copy.copy(member)
    twin.name = name
    return twin


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
