"""The environment files the docs give the operator, read as systemd and a shell read them.

systemd's `EnvironmentFile=` takes everything after `=` to the end of the line as the value (only
trailing blanks are dropped), so a comment after a value becomes part of it; a shell sourcing the
file stops at `<` or `>` outside quotes, ends the assignment at `&` or `;` and expands `$`. Either
way Twofold would not start as the page says. Every ```sh block of docs/*.md and README.md made of
`KEY=VALUE` and comment lines is such a file; /etc/twofold.env in docs/operations.md is the one
Twofold is started from here.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from tests.operations.processes import REPO

OPERATIONS = REPO / "docs" / "operations.md"
PAGES = [*sorted((REPO / "docs").glob("*.md")), REPO / "README.md"]
ASSIGNMENT = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)")
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.DOTALL | re.MULTILINE)
# How Twofold's code reads a variable: twofold/operations/environment.py's env_* readers, os.environ.
READ = re.compile(r"""(?:\benv_\w+\(|os\.environ\.get\(|os\.getenv\(|os\.environ\[)\s*["']([A-Z0-9_]+)["']""")
# Inside double quotes both systemd and a shell unescape these after a backslash and keep the
# backslash before anything else (systemd's env-file.c, SHELL_NEED_ESCAPE).
UNESCAPED_IN_DOUBLE_QUOTES = '"\\`$'


def documented_file() -> str:
    text = OPERATIONS.read_text(encoding="utf-8")
    block = re.search(r"```sh\n# /etc/twofold\.env\n(.*?)```", text, re.DOTALL)
    assert block is not None, "docs/operations.md no longer shows /etc/twofold.env"
    return block.group(1)


def environment_files() -> dict[str, str]:
    """Every ```sh block made of assignments and comments, by page and line. A block that substitutes
    a command (`$(`) or continues a line (`\\`) is a script run in a shell, not such a file."""
    files = {}
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for block in SH_BLOCK.finditer(text):
            lines = [line.strip() for line in block.group(1).splitlines() if line.strip()]
            if not any(ASSIGNMENT.fullmatch(line) for line in lines):
                continue
            if not all(line.startswith("#") or ASSIGNMENT.fullmatch(line) for line in lines):
                continue
            if any("$(" in line or line.endswith("\\") for line in lines):
                continue
            where = f"{page.relative_to(REPO)}:{text[: block.start()].count(chr(10)) + 1}"
            files[where] = block.group(1)
    return files


def names_twofold_reads() -> set[str]:
    return {
        name for source in (REPO / "twofold").rglob("*.py") for name in READ.findall(source.read_text(encoding="utf-8"))
    }


def systemd_value(raw: str) -> str:
    """systemd's reading of what follows `=` on one line (env-file.c's states from PRE_VALUE on)."""
    value, state, blanks_from = "", "pre", None  # blanks_from: where trailing blanks of an unquoted run start
    for c in raw:
        if state == "pre" and c in "'\"":
            state = "single" if c == "'" else "double"
        elif state in {"pre", "value"} and c == "\\":
            state, blanks_from = "escape", None
        elif state == "pre" and c.isspace():
            continue
        elif state in {"pre", "value"}:
            if not c.isspace():
                blanks_from = None
            elif blanks_from is None:
                blanks_from = len(value)
            value += c
            state = "value"
        elif state == "escape":
            value += c
            state = "value"
        elif state == "single":
            value, state = (value, "pre") if c == "'" else (value + c, state)
        elif state == "double" and c == "\\":
            state = "double escape"
        elif state == "double":
            value, state = (value, "pre") if c == '"' else (value + c, state)
        else:  # "double escape"
            value += c if c in UNESCAPED_IN_DOUBLE_QUOTES else "\\" + c
            state = "double"
    assert state in {"pre", "value"}, f"unfinished quote or escape: {raw!r}"
    return value[:blanks_from] if state == "value" and blanks_from is not None else value


def as_systemd_reads_it(text: str) -> dict[str, str]:
    """Comments start a line (`#` or `;`); a key, `=`, and a value to the end of the line."""
    values = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        match = ASSIGNMENT.fullmatch(stripped)
        assert match is not None, line
        values[match["key"]] = systemd_value(match["value"])
    return values


def as_a_shell_reads_it(text: str, tmp_path: Path) -> tuple[dict[str, str], str]:
    path = tmp_path / "twofold.env"
    path.write_text(text, encoding="utf-8")
    script = f'set -a; . "{path}"; set +a; "{sys.executable}" -c "import json, os; print(json.dumps(dict(os.environ)))"'
    done = subprocess.run(
        ["sh", "-ec", script], env={"PATH": os.environ["PATH"]}, cwd=tmp_path, capture_output=True, text=True
    )
    if done.returncode != 0:
        return {}, done.stderr or f"sh exited with {done.returncode}"
    return json.loads(done.stdout), done.stderr


def test_the_docs_show_environment_files() -> None:
    files = environment_files()
    assert any(where.startswith("docs/operations.md:") for where in files)
    assert len(files) >= 4, files


def test_systemd_and_a_shell_read_the_same_values_from_every_documented_environment_file(tmp_path) -> None:
    disagreements = {}
    for where, text in environment_files().items():
        systemd = as_systemd_reads_it(text)
        shell, complaint = as_a_shell_reads_it(text, tmp_path)
        read_by_shell = {key: shell.get(key) for key in systemd}
        if complaint or read_by_shell != systemd:
            disagreements[where] = (
                complaint,
                {k: (v, read_by_shell[k]) for k, v in systemd.items() if read_by_shell[k] != v},
            )
    assert not disagreements


def test_every_documented_variable_is_one_twofold_reads() -> None:
    read = names_twofold_reads()
    assert {"TWOFOLD_PRODUCTION", "DATABASE_URL", "DATABASE_CONN_MAX_AGE", "TWOFOLD_BIND", "LOG_FORMAT"} <= read
    unknown = {where: sorted(set(as_systemd_reads_it(text)) - read) for where, text in environment_files().items()}
    assert not {where: keys for where, keys in unknown.items() if keys}


def test_the_quoting_the_docs_ask_for_reads_the_same_in_systemd_and_a_shell(tmp_path) -> None:
    # docs/operations.md, "Configure": double quotes around spaces, <>&;|$, quotes, backticks; $ as \$.
    text = (
        'DATABASE_URL="postgres://twofold:pa\\$\\$w&rd@db:5432/twofold?sslmode=require&prepare_threshold=0"\n'
        'EMAIL_HOST_PASSWORD="a;b|c<d>e f\'g\\"h\\`i\\$j\\\\k"\n'
        'DEFAULT_FROM_EMAIL="Twofold <twofold@example.org>"\n'
    )
    systemd = as_systemd_reads_it(text)
    shell, complaint = as_a_shell_reads_it(text, tmp_path)
    assert not complaint
    assert (
        systemd
        == {key: shell[key] for key in systemd}
        == {
            "DATABASE_URL": "postgres://twofold:pa$$w&rd@db:5432/twofold?sslmode=require&prepare_threshold=0",
            "EMAIL_HOST_PASSWORD": "a;b|c<d>e f'g\"h`i$j\\k",
            "DEFAULT_FROM_EMAIL": "Twofold <twofold@example.org>",
        }
    )


def test_systemd_keeps_a_comment_after_a_value() -> None:
    assert as_systemd_reads_it("SITE_URL=https://x.example   # the address  \n") == {
        "SITE_URL": "https://x.example   # the address"
    }


def test_the_documented_file_reads_as_the_page_means_it() -> None:
    systemd = as_systemd_reads_it(documented_file())
    assert not [key for key, value in systemd.items() if "#" in value]
    assert systemd["DEFAULT_FROM_EMAIL"] == "Twofold <twofold@example.org>"
    # The operator fills in the key: an example that works would be kept as it is.
    assert systemd["SECRET_KEY"] == ""


def test_twofold_accepts_every_value_of_the_documented_environment_file(tmp_path) -> None:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)} | as_systemd_reads_it(documented_file())
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env["TWOFOLD_VAR_DIR"] = str(tmp_path)
    code = (
        "from django.conf import settings; "
        "print(settings.SECURE_PROXY_SSL_HEADER, settings.TOTP_REQUIRED_FOR_ORG_ADMINS, settings.DEFAULT_FROM_EMAIL)"
    )
    env["DJANGO_SETTINGS_MODULE"] = "twofold.settings"
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["('HTTP_X_FORWARDED_PROTO',", "'https')", "True", "Twofold", "<twofold@example.org>"]
