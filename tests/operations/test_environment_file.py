"""The environment file docs/operations.md gives the operator, read as systemd and a shell read it.

systemd's `EnvironmentFile=` takes everything after `=` to the end of the line as the value (only
trailing blanks are dropped), so a comment after a value becomes part of it; a shell sourcing the
file stops at `<` or `>` outside quotes. Either way Twofold would not start as the page says.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from tests.operations.processes import REPO

OPERATIONS = REPO / "docs" / "operations.md"
ASSIGNMENT = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)")


def documented_file() -> str:
    text = OPERATIONS.read_text(encoding="utf-8")
    block = re.search(r"```sh\n# /etc/twofold\.env\n(.*?)```", text, re.DOTALL)
    assert block is not None, "docs/operations.md no longer shows /etc/twofold.env"
    return block.group(1)


def as_systemd_reads_it(text: str) -> dict[str, str]:
    """systemd's reading of the lines the page uses: comments start a line; a value runs to the
    end of its line, or is the text between double quotes."""
    values = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        match = ASSIGNMENT.fullmatch(stripped)
        assert match is not None, line
        value = match["value"].rstrip()
        if value.startswith('"'):
            assert value.endswith('"') and value.count('"') == 2, line
            value = value[1:-1]
        values[match["key"]] = value
    return values


def as_a_shell_reads_it(text: str, tmp_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    path = tmp_path / "twofold.env"
    path.write_text(text, encoding="utf-8")
    script = f'set -a; . "{path}"; set +a; "{sys.executable}" -c "import json, os; print(json.dumps(dict(os.environ)))"'
    done = subprocess.run(["sh", "-ec", script], env={"PATH": os.environ["PATH"]}, capture_output=True, text=True)
    assert done.returncode == 0 and not done.stderr, done.stderr
    return json.loads(done.stdout)


def test_systemd_and_a_shell_read_the_same_values_from_the_documented_environment_file(tmp_path) -> None:
    text = documented_file()
    systemd = as_systemd_reads_it(text)
    shell = as_a_shell_reads_it(text, tmp_path)
    assert {key: shell.get(key) for key in systemd} == systemd
    assert not [key for key, value in systemd.items() if "#" in value]
    assert systemd["DEFAULT_FROM_EMAIL"] == "Twofold <twofold@example.org>"


def test_twofold_accepts_every_value_of_the_documented_environment_file(tmp_path) -> None:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)} | as_systemd_reads_it(documented_file())
    env["TWOFOLD_VAR_DIR"] = str(tmp_path)
    code = (
        "from django.conf import settings; "
        "print(settings.SECURE_PROXY_SSL_HEADER, settings.TOTP_REQUIRED_FOR_ORG_ADMINS, settings.DEFAULT_FROM_EMAIL)"
    )
    env["DJANGO_SETTINGS_MODULE"] = "twofold.settings"
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["('HTTP_X_FORWARDED_PROTO',", "'https')", "True", "Twofold", "<twofold@example.org>"]
