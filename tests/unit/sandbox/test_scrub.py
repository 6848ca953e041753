"""The environment a sandboxed command gets: nothing that looks like a credential, by name or by
value, and nothing that points it at an agent, a bus or an engine of ours."""

from __future__ import annotations

from pathlib import Path

import pytest

from rigtui.sandbox import LocalSandbox, RunRequest
from rigtui.sandbox.output import is_secret, scrubbed_env

DROPPED_BY_NAME = [
    "OPENAI_API_KEY",
    "GITHUB_TOKEN",
    "DB_PASSWORD",
    "SENTRY_DSN",  # a DSN carries its key
    "DSN",
    "MYSQL_PWD",
    "ORACLE_PWD",
    "SLACK_WEBHOOK_URL",
    "WEBHOOK",
    "DISCORD_WEBHOOK",
    "DOCKER_AUTH_CONFIG",
    "DOCKER_CONFIG",  # the folder with registry logins
    "AWS_ACCESS_KEY_ID",
    "MINIO_ACCESS_KEY",
    "SMTP_PASS",
    "PASS",
    "SSHPASS",
    "BORG_PASSPHRASE",
    "PGPASSFILE",
    "GIT_ASKPASS",
    "NETRC",
    "AZURE_STORAGE_CONNECTION_STRING",
    "SQL_CONN_STR",
    "KUBECONFIG",  # where the cluster credentials are
    "KRB5CCNAME",  # a Kerberos ticket cache
    "XAUTHORITY",  # the X display's cookie
    "HTTP_AUTHORIZATION",
    "NPM_CONFIG__AUTH",
    "JWT",
    "APP_JWT_SIGNING",
    "SSL_KEY_FILE",
    "GPG_PRIVATE",
    "SSH_AUTH_SOCK",
    "DBUS_SESSION_BUS_ADDRESS",
    "DOCKER_HOST",
    "CONTAINER_HOST",
]

KEPT = [
    "PWD",
    "OLDPWD",
    "PATH",
    "HOME",
    "LANG",
    "TERM",
    "DATABASE_URL",  # no credentials in the value below
    "PIP_INDEX_URL",
    "HTTP_PROXY",
    "KEYBOARD",
    "MONKEY_BUSINESS",
    "COMPASS_HEADING",
    "XDG_RUNTIME_DIR",
]


@pytest.mark.parametrize("name", DROPPED_BY_NAME)
def test_credential_names_are_dropped(name: str):
    assert is_secret(name, "x"), name
    assert is_secret(name.lower(), "x"), name


@pytest.mark.parametrize("name", KEPT)
def test_ordinary_names_are_kept(name: str):
    assert not is_secret(name, "/usr/bin:/bin"), name


@pytest.mark.parametrize(
    "value",
    [
        "postgres://app:hunter2@db.internal:5432/app",
        "https://user:pass@proxy.corp:3128",
        "https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r.git",
        "https://__token__:pypi-secret@upload.pypi.org/legacy/ https://pypi.org/simple",
        "redis://:hunter2@cache:6379/0",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn...",
        "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
        "glpat-abcdefghij0123456789",
        "xoxb-1234567890-abcdefghijklmnop",
        "AKIAIOSFODNN7EXAMPLE",
        "hf_abcdefghijklmnopqrstuvwxyzABCDEF",
    ],
)
def test_values_that_carry_credentials_are_dropped_whatever_the_name(value: str):
    assert is_secret("SOME_SETTING", value)
    assert is_secret("DATABASE_URL", value)


@pytest.mark.parametrize(
    "value",
    [
        "postgres:///app",
        "https://pypi.org/simple",
        "http://proxy.corp:3128",
        "https://registry.npmjs.org/@scope/pkg",  # an @ in the path is not a login
        "https://example.com/u/name@example.com",
        "mailto:someone@example.com",
        "sk_SK.UTF-8",
        "task-runner",
    ],
)
def test_ordinary_values_are_kept(value: str):
    assert not is_secret("SOME_SETTING", value)


def test_scrubbed_env_drops_by_name_and_by_value():
    env = scrubbed_env(
        {
            "PATH": "/usr/bin",
            "MYSQL_PWD": "x",
            "PWD": "/p",
            "DATABASE_URL": "postgres://u:p@h/db",
            "CACHE_URL": "redis://cache:6379",
        }
    )
    assert env == {"PATH": "/usr/bin", "PWD": "/p", "CACHE_URL": "redis://cache:6379"}


async def test_a_real_command_sees_none_of_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in DROPPED_BY_NAME:
        monkeypatch.setenv(name, "hunter2-by-name")
    monkeypatch.setenv("DATABASE_URL", "postgres://app:hunter2-by-value@db/app")
    monkeypatch.setenv("PLAIN_URL", "https://example.com/x")
    box = LocalSandbox(tmp_path, isolate=False)
    result = await box.run(RunRequest(command=["env"], cwd=tmp_path))
    assert result.ok, result.stderr
    assert "hunter2" not in result.stdout
    names = {line.split("=", 1)[0] for line in result.stdout.splitlines()}
    assert not names & set(DROPPED_BY_NAME)
    assert "PLAIN_URL=https://example.com/x" in result.stdout.splitlines()
