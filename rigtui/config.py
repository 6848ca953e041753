"""Settings: a typed model with defaults, from the user's config file under the project's
optional `.rigtui.toml`. Every unknown key, wrong type or value out of range is reported with
file, key and what is expected, and nothing is guessed.

A project's `.rigtui.toml` comes with its code, from whoever wrote it (DESIGN.md rule 9): its
settings that send data somewhere or widen what runs without a person (NEEDS_TRUST) apply only
once the user trusted that exact file (`rigtui trust`, rigtui.trust); until then they are left
out and listed in `settings.trust`, for front ends to say so.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
import tomllib
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rigtui.errors import SettingsError
from rigtui.mcp.settings import McpServerSettings, McpSettings, project_server_narrows
from rigtui.paths import user_config_file
from rigtui.trust import PROJECT_FILE, Ask, ProjectTrust, answer_for, file_digest


@dataclass
class UISettings:
    theme: str = "rigtui-dark"
    show_tree: bool = True
    # the file tree's icons: emoji, or ASCII where emoji widths break alignment (auto: ASCII
    # when the terminal's locale is not UTF-8)
    icons: Literal["auto", "emoji", "ascii"] = "auto"
    # when a task needs you while the terminal is not focused: nothing, BEL, or BEL and a
    # desktop notification (OSC 9 and 777)
    notify: Literal["off", "bell", "osc"] = "osc"


@dataclass
class ModelProfile:
    model: str = "gpt-4o-mini"
    base_url: str | None = None  # None: OPENAI_BASE_URL, then the SDK's default
    api_key_env: str = "OPENAI_API_KEY"
    wire_api: Literal["chat", "responses"] = "chat"
    context_window: int = 128_000
    # a cap on each reply (chat: max_tokens, responses: max_output_tokens); None: the server's
    max_output_tokens: int | None = None
    timeout: float = 120.0
    max_retries: int = 4
    input_price_per_mtok: float | None = None  # cost per million tokens, when known
    output_price_per_mtok: float | None = None


@dataclass
class ModelSettings:
    default: str = "default"
    profiles: dict[str, ModelProfile] = field(default_factory=lambda: {"default": ModelProfile()})


@dataclass
class IndexSettings:
    enabled: bool = True
    watch: bool = True
    max_file_size: int = 1024 * 1024


@dataclass
class ApprovalSettings:
    patches: Literal["review", "auto-apply"] = "review"
    commands: Literal["ask", "allow", "auto"] = "ask"
    allow: list[str] = field(default_factory=list)  # command prefixes run without asking


@dataclass
class SandboxSettings:
    kind: Literal["auto", "docker", "local"] = "auto"
    image: str = "rigtui-base:bookworm"
    network: bool = False
    # the model's commands: "capture" (default: a writable copy-on-write view, the writes come
    # back as a change set), "ro" (the same, never applied without a person), "rw" (direct)
    mount: Literal["rw", "capture", "ro"] = "capture"
    memory: str = "1g"
    cpus: float = 1.0
    pids: int = 256
    timeout: float = 600.0
    output_limit: int = 1_000_000
    reuse_container: bool = True


@dataclass
class CheckSpec:
    command: str
    paths: list[str] = field(default_factory=list)  # globs that trigger it; empty: any change


@dataclass
class ChecksSettings:
    debounce_ms: int = 300
    watch: bool = True
    auto_fix_rounds: int = 0
    commands: dict[str, CheckSpec] = field(default_factory=dict)


@dataclass
class TasksSettings:
    max_parallel: int = 4  # isolated tasks running at once; more wait in a queue
    bell: bool = True  # ring the terminal bell when one needs review or failed


@dataclass
class InstructionsSettings:
    max_bytes: int = 32 * 1024


@dataclass
class Settings:
    ui: UISettings = field(default_factory=UISettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    approval: ApprovalSettings = field(default_factory=ApprovalSettings)
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    checks: ChecksSettings = field(default_factory=ChecksSettings)
    instructions: InstructionsSettings = field(default_factory=InstructionsSettings)
    tasks: TasksSettings = field(default_factory=TasksSettings)
    mcp: McpSettings = field(default_factory=McpSettings)  # [mcp.servers.NAME] (rigtui.mcp)
    # Not a setting: what the project file asks for that needs trust (None: no project file).
    trust: ProjectTrust | None = field(default=None, init=False, repr=False, compare=False)

    def update_from(self, other: Settings) -> None:
        """Take every value of `other` in place, so everything holding this object (a session,
        a workspace) sees them (the workbench, once the user trusted the project)."""
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(other, f.name))

    def model_profile(self, name: str | None = None) -> ModelProfile:
        key = name or self.model.default
        if key not in self.model.profiles:
            known = ", ".join(sorted(self.model.profiles)) or "none"
            raise SettingsError(
                f"unknown model profile {key!r}",
                fix=f"use one of: {known}, or add [model.profiles.{key}] to your settings",
            )
        return self.model.profiles[key]


# --- Loading --------------------------------------------------------------------------------


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " or ".join(repr(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is list:
        return f"list of {_type_name(typing.get_args(tp)[0])}"
    if origin is dict:
        return f"table of {_type_name(typing.get_args(tp)[1])}"
    if dataclasses.is_dataclass(tp):
        return "table"
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _convert(tp: Any, value: Any, where: str, source: Path) -> Any:
    """Check `value` against the type hint `tp`; return it converted (tables to dataclasses)."""

    def wrong() -> SettingsError:
        return SettingsError(
            f"{source}: {where} should be {_type_name(tp)}, got {type(value).__name__} {value!r}"
        )

    origin = typing.get_origin(tp)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise wrong()
        return value
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            if arg is type(None) and value is None:
                return None
            try:
                return _convert(arg, value, where, source)
            except SettingsError:
                continue
        raise wrong()
    if origin is list:
        if not isinstance(value, list):
            raise wrong()
        (item,) = typing.get_args(tp)
        return [_convert(item, v, f"{where}[{i}]", source) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise wrong()
        _, item = typing.get_args(tp)
        return {k: _convert(item, v, f"{where}.{k}", source) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise wrong()
        return _build(tp, value, where, source)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp in (int, float) and isinstance(value, bool):
        raise wrong()
    if not isinstance(value, tp):
        raise wrong()
    return value


def _build(cls: Any, data: dict[str, Any], where: str, source: Path) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.init}  # not Settings.trust
    kwargs = {}
    for key, value in data.items():
        path = f"{where}.{key}" if where else key
        if key not in known:
            expected = ", ".join(sorted(known))
            raise SettingsError(f"{source}: unknown key {path!r} (known keys here: {expected})")
        kwargs[key] = _convert(hints[key], value, path, source)
    missing = [
        f.name
        for f in dataclasses.fields(cls)
        if f.name not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise SettingsError(f"{source}: {where} needs {', '.join(missing)}")
    return cls(**kwargs)


_CHECKS_FIELDS = {"debounce_ms", "watch", "auto_fix_rounds"}


def _normalise_checks(data: dict[str, Any], source: Path) -> tuple[dict[str, Any], set[str]]:
    """`[checks] tests = "pytest -q"` is shorthand for `[checks.commands.tests] command = ...`.
    Returns the data in the long form and the check names written the short way."""
    checks = data.get("checks")
    if not isinstance(checks, dict):
        return data, set()
    out: dict[str, Any] = {"commands": dict(checks.get("commands", {}))}
    short: set[str] = set()
    for key, value in checks.items():
        if key in _CHECKS_FIELDS:
            out[key] = value
        elif key != "commands":
            if not isinstance(value, str | dict):
                raise SettingsError(
                    f"{source}: checks.{key} should be a command string or a table"
                    f" (command = ..., paths = [...]), got {type(value).__name__} {value!r}"
                )
            out["commands"][key] = {"command": value} if isinstance(value, str) else value
            short.add(key)
    return {**data, "checks": out}, short


def _validate_file(data: dict[str, Any], path: Path, short_checks: set[str]) -> None:
    """Check one file alone, for a precise message; errors about a check written the short way
    name the key as the user wrote it (`checks.tests`, not `checks.commands.tests`)."""
    try:
        _build(Settings, data, "", path)
    except SettingsError as exc:
        message = exc.message
        for name in short_checks:
            message = message.replace(f"checks.commands.{name}", f"checks.{name}")
        if message == exc.message:
            raise
        raise SettingsError(message, fix=exc.fix) from None


def _read_toml(path: Path) -> tuple[dict[str, Any], bytes]:
    """The file's settings and its bytes (what trust is recorded against: the bytes parsed)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SettingsError(
            f"{path}: cannot be read: {exc.strerror}", fix="check the file's permissions"
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsError(
            f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            fix="save the file as UTF-8",
        ) from None
    try:
        return tomllib.loads(text), raw
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from exc


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _find(data: dict[str, Any], pattern: str) -> list[tuple[list[str], Any]]:
    """The values at a dotted key pattern (`*` is any one table key), with their keys."""
    found: list[tuple[list[str], Any]] = [([], data)]
    for part in pattern.split("."):
        deeper = []
        for keys, node in found:
            if isinstance(node, dict):
                names = list(node) if part == "*" else [part] if part in node else []
                deeper += [([*keys, name], node[name]) for name in names]
        found = deeper
    return found


# --- Ranges ---------------------------------------------------------------------------------

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([bkmg])?b?$", re.IGNORECASE)  # what Docker reads
_UNITS = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
MIN_MEMORY = 6 * 1024**2  # Docker refuses less


def _size_ok(value: str) -> bool:
    match = _SIZE.match(value)
    if match is None:
        return False
    return float(match[1]) * _UNITS[(match[2] or "b").lower()] >= MIN_MEMORY


def _positive(value: float) -> bool:
    return value > 0


def _not_negative(value: float) -> bool:
    return value >= 0


# key pattern -> (the test, the allowed range in words)
RANGES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "sandbox.pids": (_positive, "a whole number of processes, 1 or more"),
    "sandbox.cpus": (_positive, "a number of CPUs above 0, such as 0.5 or 2"),
    "sandbox.memory": (_size_ok, "a size of at least 6m, such as 512m or 2g (units b, k, m, g)"),
    "sandbox.timeout": (_positive, "seconds, above 0"),
    "sandbox.output_limit": (_positive, "bytes, 1 or more"),
    "index.max_file_size": (_positive, "bytes, 1 or more"),
    "instructions.max_bytes": (_not_negative, "bytes, 0 or more"),
    "checks.debounce_ms": (_not_negative, "milliseconds, 0 or more"),
    "checks.auto_fix_rounds": (_not_negative, "rounds, 0 or more"),
    "tasks.max_parallel": (_positive, "a number of tasks, 1 or more"),
    "model.profiles.*.context_window": (_positive, "tokens, 1 or more"),
    "model.profiles.*.max_output_tokens": (_positive, "tokens, 1 or more"),
    "model.profiles.*.timeout": (_positive, "seconds, above 0"),
    "model.profiles.*.max_retries": (_not_negative, "retries, 0 or more"),
    "model.profiles.*.input_price_per_mtok": (_not_negative, "a price, 0 or more"),
    "model.profiles.*.output_price_per_mtok": (_not_negative, "a price, 0 or more"),
    "mcp.servers.*.timeout": (_positive, "seconds, above 0"),
    "mcp.servers.*.start_timeout": (_positive, "seconds, above 0"),
}


def _default_of(keys: list[str]) -> Any:
    if keys[:2] == ["mcp", "servers"]:
        return getattr(McpServerSettings(), keys[3])
    node: Any = ModelProfile() if keys[:2] == ["model", "profiles"] else Settings()
    for key in keys[3:] if keys[:2] == ["model", "profiles"] else keys:
        node = getattr(node, key)
    return node


def _check_ranges(data: dict[str, Any], path: Path) -> None:
    for pattern, (test, allowed) in RANGES.items():
        for keys, value in _find(data, pattern):
            finite = not isinstance(value, float) or math.isfinite(value)
            if finite and test(value):
                continue
            key = ".".join(keys)
            raise SettingsError(
                f"{path}: {key} = {_toml_value(value)} is out of range: it should be {allowed}",
                fix=f"change it, or remove it for the default ({_toml_value(_default_of(keys))})",
            )


def _load_file(path: Path) -> tuple[dict[str, Any], bytes, set[str]]:
    """One settings file, checked on its own so an error names it: its data in the long form,
    its bytes, and the check names written the short way."""
    data, raw = _read_toml(path)
    data, short_checks = _normalise_checks(data, path)
    _validate_file(data, path, short_checks)
    _check_ranges(data, path)
    return data, raw, short_checks


# --- Trust: what a project file may set on its own ------------------------------------------
#
# Settings that send data somewhere (the endpoint, the env var whose key is sent) or widen what
# runs without a person (approval, the sandbox's kind, image, network and mounts, checks that run
# on their own, auto-fix rounds) apply from a project file only once the user trusted it. Each
# maps to a test of whether the project's value only narrows what the user's own settings give
# (patches "review", commands "ask", network off, mount "ro" over "capture" over "rw", docker
# over auto over local, a subset of the allowed prefixes, fewer auto-fix rounds): such a value
# always applies. Checks are kept (the user may run them: `rigtui check`, ctrl+r) but do not
# run on their own, untrusted. Everything else (ui, index, instructions, model names, windows
# and prices, sandbox resource limits within RANGES, checks' debounce and watch) always applies.

_COMMANDS_RANK = {"ask": 0, "allow": 1, "auto": 2}
_KIND_RANK = {"docker": 0, "auto": 1, "local": 2}
# ro (a person reviews every write) < capture (writes are change sets) < rw (direct writes)
_MOUNT_RANK = {"ro": 0, "capture": 1, "rw": 2}
CHECK_COMMANDS = "checks.commands.*"
MCP_SERVERS = "mcp.servers.*"  # a server is one thing: what it starts or reaches

NEEDS_TRUST: dict[str, Callable[[Any, Any], bool]] = {
    "model.profiles.*.base_url": lambda mine, users: mine == users,
    "model.profiles.*.api_key_env": lambda mine, users: mine == users,
    "approval.patches": lambda mine, users: mine in ("review", users),
    "approval.commands": lambda mine, users: _COMMANDS_RANK[mine] <= _COMMANDS_RANK[users],
    "approval.allow": lambda mine, users: set(mine) <= set(users),
    "sandbox.kind": lambda mine, users: _KIND_RANK[mine] <= _KIND_RANK[users],
    "sandbox.image": lambda mine, users: mine == users,
    "sandbox.network": lambda mine, users: not mine or users,
    "sandbox.mount": lambda mine, users: _MOUNT_RANK[mine] <= _MOUNT_RANK[users],
    "checks.auto_fix_rounds": lambda mine, users: mine <= users,
    CHECK_COMMANDS: lambda mine, users: mine.get("command") == users,
    MCP_SERVERS: project_server_narrows,  # starts a process or calls a URL
}

# Every other key, on purpose: a new key goes in one of the two (tests/unit/test_trust.py).
HARMLESS = (
    "ui.theme",
    "ui.show_tree",
    "ui.icons",
    "ui.notify",
    "model.default",  # picks a profile; a project's own profile has no endpoint or key env
    "model.profiles.*.model",
    "model.profiles.*.wire_api",
    "model.profiles.*.context_window",
    "model.profiles.*.max_output_tokens",
    "model.profiles.*.timeout",
    "model.profiles.*.max_retries",
    "model.profiles.*.input_price_per_mtok",
    "model.profiles.*.output_price_per_mtok",
    "index.enabled",
    "index.watch",
    "index.max_file_size",
    "sandbox.memory",  # resource limits, within RANGES
    "sandbox.cpus",
    "sandbox.pids",
    "sandbox.timeout",
    "sandbox.output_limit",
    "sandbox.reuse_container",
    "checks.debounce_ms",
    "checks.watch",  # only trusted checks follow changes at all
    "instructions.max_bytes",
    "tasks.max_parallel",  # isolated tasks at once: a resource limit, like sandbox.cpus
    "tasks.bell",
)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return repr(value)


def _users_value(user: Settings, keys: list[str]) -> Any:
    if keys[:2] == ["model", "profiles"]:
        return getattr(user.model.profiles.get(keys[2], ModelProfile()), keys[3])
    if keys[:2] == ["checks", "commands"]:
        spec = user.checks.commands.get(keys[2])
        return spec.command if spec is not None else None
    if keys[:2] == ["mcp", "servers"]:
        server = user.mcp.servers.get(keys[2])
        return dataclasses.asdict(server) if server is not None else None
    node: Any = user
    for key in keys:
        node = getattr(node, key)
    return node


def _remove(data: dict[str, Any], keys: list[str]) -> None:
    node = data
    for key in keys[:-1]:
        node = node[key]
    del node[keys[-1]]


def _trusted_part(
    root: Path, path: Path, data: dict[str, Any], raw: bytes, short_checks: set[str], user: Settings
) -> tuple[dict[str, Any], ProjectTrust]:
    """The project file's data to apply, and what it asks for that needs trust."""
    asks: list[Ask] = []
    drop: list[list[str]] = []
    checks: set[str] = set()
    for pattern, narrows in NEEDS_TRUST.items():
        for keys, value in _find(data, pattern):
            if narrows(value, _users_value(user, keys)):
                continue
            if pattern == CHECK_COMMANDS:
                name = keys[2]
                key = f"checks.{name}" if name in short_checks else ".".join(keys)
                shown = value["command"] if set(value) == {"command"} else value
                asks.append(Ask(key, _toml_value(shown), check=True))
                checks.add(name)
            else:
                asks.append(Ask(".".join(keys), _toml_value(value)))
                drop.append(keys)
    digest = file_digest(raw)
    answer = answer_for(root, digest) if asks else True  # the store is read only when needed
    if answer is True:
        return data, ProjectTrust(path, digest, tuple(asks))
    data = copy.deepcopy(data)
    for keys in drop:
        _remove(data, keys)
    return data, ProjectTrust(path, digest, tuple(asks), False, answer is False, frozenset(checks))


def load_settings(project_root: Path | None = None) -> Settings:
    """The user's config file, then the project's `.rigtui.toml` over it. Each file is
    validated on its own so an error names the file it is in. The project file's settings that
    need trust apply only when the user trusted that exact file; otherwise they are left out
    and `settings.trust` lists them (the user's own file is always trusted)."""
    user_file = user_config_file()
    merged = _load_file(user_file)[0] if user_file.is_file() else {}
    trust = None
    root = Path(project_root) if project_root is not None else None
    if root is not None and (root / PROJECT_FILE).is_file():
        data, raw, short_checks = _load_file(root / PROJECT_FILE)
        user = _build(Settings, merged, "", Path("settings"))
        data, trust = _trusted_part(root, root / PROJECT_FILE, data, raw, short_checks, user)
        merged = _merge(merged, data)
    settings = _build(Settings, merged, "", Path("settings"))
    if "default" not in settings.model.profiles:
        settings.model.profiles["default"] = ModelProfile()
    settings.trust = trust
    return settings


def apply_overrides(
    settings: Settings,
    *,
    profile: str | None = None,
    model: str | None = None,
    base_url: str | None = None,
) -> Settings:
    """`--profile`, `--model` and `--base-url` for one run: the chosen profile becomes the
    default and the flags override its fields. Settings files are not touched."""
    name = profile or settings.model.default
    chosen = settings.model_profile(name)  # raises a clear error for an unknown profile
    if model:
        chosen.model = model
    if base_url:
        chosen.base_url = base_url
    settings.model.default = name
    return settings
