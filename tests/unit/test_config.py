"""Settings: defaults, the project file over the user file, precise errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from rigtui.config import apply_overrides, load_settings
from rigtui.errors import SettingsError
from rigtui.paths import user_config_file
from rigtui.trust import trust


def test_defaults_without_any_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.approval.patches == "review"
    assert settings.model_profile().wire_api == "chat"
    assert settings.index.max_file_size == 1024 * 1024


def test_project_file_overrides_user_file(tmp_path: Path) -> None:
    user_config_file().write_text(
        '[ui]\ntheme = "rigtui-light"\n[approval]\npatches = "auto-apply"\n'
    )
    (tmp_path / ".rigtui.toml").write_text('[approval]\npatches = "review"\n')
    settings = load_settings(tmp_path)
    assert settings.ui.theme == "rigtui-light"  # from the user file
    assert settings.approval.patches == "review"  # the project wins


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    project_file = tmp_path / ".rigtui.toml"
    project_file.write_text("[ui]\nthemee = 'x'\n")
    with pytest.raises(SettingsError) as info:
        load_settings(tmp_path)
    message = str(info.value)
    assert str(project_file) in message and "'ui.themee'" in message and "theme" in message


def test_wrong_type_names_expected_type(tmp_path: Path) -> None:
    (tmp_path / ".rigtui.toml").write_text("[index]\nmax_file_size = 'big'\n")
    with pytest.raises(SettingsError, match=r"index.max_file_size should be integer, got str"):
        load_settings(tmp_path)


def test_literal_values_are_checked(tmp_path: Path) -> None:
    (tmp_path / ".rigtui.toml").write_text("[approval]\npatches = 'sometimes'\n")
    with pytest.raises(SettingsError, match="'review' or 'auto-apply'"):
        load_settings(tmp_path)


def test_bad_toml_is_reported_with_file(tmp_path: Path) -> None:
    (tmp_path / ".rigtui.toml").write_text("[ui\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(tmp_path)


def test_checks_shorthand_and_model_profiles(tmp_path: Path) -> None:
    (tmp_path / ".rigtui.toml").write_text(
        """
        [checks]
        tests = "pytest -x -q"
        lint = { command = "ruff check .", paths = ["*.py"] }
        debounce_ms = 100

        [model]
        default = "local"
        [model.profiles.local]
        base_url = "http://127.0.0.1:8080/v1"
        model = "gemma"
        """
    )
    trust(tmp_path)  # the user's own project: its base_url applies once trusted
    settings = load_settings(tmp_path)
    assert settings.checks.commands["tests"].command == "pytest -x -q"
    assert settings.checks.commands["lint"].paths == ["*.py"]
    assert settings.checks.debounce_ms == 100
    assert settings.model_profile().base_url == "http://127.0.0.1:8080/v1"
    assert "default" in settings.model.profiles


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[checks]\ntests = 5\n", "checks.tests should be a command string or a table"),
        ("[checks]\ntests = { command = 5 }\n", "checks.tests.command should be string"),
        ("[checks.commands.tests]\ncommand = 5\n", "checks.commands.tests.command should be"),
    ],
)
def test_check_errors_name_the_key_as_it_was_written(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / ".rigtui.toml").write_text(text)
    with pytest.raises(SettingsError, match=message.replace(".", r"\.")):
        load_settings(tmp_path)


def test_overrides_for_one_run(tmp_path: Path) -> None:
    settings = apply_overrides(load_settings(tmp_path), model="m2", base_url="http://127.0.0.1:1")
    assert settings.model_profile().model == "m2"
    assert settings.model_profile().base_url == "http://127.0.0.1:1"
    with pytest.raises(SettingsError, match="unknown model profile 'nope'"):
        apply_overrides(load_settings(tmp_path), profile="nope")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[sandbox]\npids = -5\n",
            "sandbox.pids = -5 is out of range: it should be a whole number of processes, 1 or more (change it, or remove it for the default (256))",
        ),  # noqa: E501
        (
            "[sandbox]\ncpus = 0\n",
            "sandbox.cpus = 0 is out of range: it should be a number of CPUs above 0",
        ),  # noqa: E501
        ("[sandbox]\ncpus = inf\n", "sandbox.cpus = inf is out of range"),
        (
            '[sandbox]\nmemory = "lots"\n',
            'sandbox.memory = "lots" is out of range: it should be a size of at least 6m',
        ),  # noqa: E501
        ('[sandbox]\nmemory = "1k"\n', 'sandbox.memory = "1k" is out of range'),
        (
            "[sandbox]\ntimeout = 0\n",
            "sandbox.timeout = 0 is out of range: it should be seconds, above 0",
        ),  # noqa: E501
        ("[sandbox]\ntimeout = nan\n", "sandbox.timeout = nan is out of range"),
        ("[sandbox]\noutput_limit = 0\n", "sandbox.output_limit = 0 is out of range"),
        ("[index]\nmax_file_size = -1\n", "index.max_file_size = -1 is out of range"),
        (
            "[checks]\ndebounce_ms = -1\n",
            "checks.debounce_ms = -1 is out of range: it should be milliseconds, 0 or more",
        ),  # noqa: E501
        ("[checks]\nauto_fix_rounds = -2\n", "checks.auto_fix_rounds = -2 is out of range"),
        (
            "[model.profiles.x]\ntimeout = -1.5\n",
            "model.profiles.x.timeout = -1.5 is out of range: it should be seconds, above 0 (change it, or remove it for the default (120.0))",
        ),  # noqa: E501
        (
            "[model.profiles.x]\ncontext_window = 0\n",
            "model.profiles.x.context_window = 0 is out of range",
        ),  # noqa: E501
        (
            "[model.profiles.x]\nmax_retries = -1\n",
            "model.profiles.x.max_retries = -1 is out of range",
        ),  # noqa: E501
    ],
)
def test_values_out_of_range_name_the_file_key_value_and_range(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / ".rigtui.toml"
    path.write_text(text)
    with pytest.raises(SettingsError) as info:
        load_settings(tmp_path)
    assert str(info.value).startswith(f"{path}: {message}")


def test_sizes_and_limits_in_range_are_accepted(tmp_path: Path) -> None:
    user_config_file().write_text(
        '[sandbox]\nmemory = "512m"\ncpus = 0.5\npids = 1\ntimeout = 1\n[checks]\ndebounce_ms = 0\n'
    )
    settings = load_settings(tmp_path)
    assert settings.sandbox.memory == "512m" and settings.sandbox.pids == 1


def test_out_of_range_in_the_user_file_names_it(tmp_path: Path) -> None:
    user_config_file().write_text("[sandbox]\npids = 0\n")
    with pytest.raises(SettingsError, match=f"^{user_config_file()}: sandbox.pids = 0 is out"):
        load_settings(tmp_path)


def test_a_settings_file_that_is_not_utf8_is_one_line_exit_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / ".rigtui.toml").write_bytes(b'[ui]\ntheme = "caf\xe9"\n')
    where = str(tmp_path)
    for args in (
        ["check", "--path", where],
        ["exec", "hi", "--path", where],
        ["run", "--path", where, "--", "true"],
        ["trust", where],
        ["index", where],
        [where],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "rigtui", *args],
            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            f"rigtui: {tmp_path / '.rigtui.toml'}: not UTF-8 text (byte 0xe9 at offset 17)"
            " (save the file as UTF-8)\n"
        )
