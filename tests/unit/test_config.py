"""Settings: defaults, the project file over the user file, precise errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from rigtui.config import apply_overrides, load_settings
from rigtui.errors import SettingsError
from rigtui.paths import user_config_file


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
