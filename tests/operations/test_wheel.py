"""The wheel an operator installs: built from the source, installed into a fresh virtualenv, migrated,
its static files collected, and served in production mode over real HTTP.

Building uses the development environment's setuptools (``--no-isolation``), so nothing is
downloaded. The fresh virtualenv gets the wheel with ``--no-deps``, and reaches its dependencies
through a ``.pth`` line naming the development environment's site-packages: installing Django,
NumPy, SciPy and OR-Tools again would take minutes and the network, and would test pip rather than
the wheel. A path named in a ``.pth`` file is not itself scanned for ``.pth`` files, so the
development environment's editable install of Twofold stays out of reach: ``twofold`` imports from
the wheel alone, which the test checks.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.operations.processes import REPO, Server, free_port, get, run

pytestmark = pytest.mark.wheel


def package_files() -> set[str]:
    return {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "twofold").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def test_the_wheel_installs_migrates_and_serves_pages_and_static_files(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "twofold", source / "twofold", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path / "dist"), str(source)],
        env,
        cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("twofold-*.whl")

    # Every file of the package is in the wheel: templates, static files, migrations, data.
    in_wheel = {name for name in zipfile.ZipFile(wheel).namelist() if name.startswith("twofold/")}
    assert package_files() - in_wheel == set()
    assert any(name.startswith("twofold/templates/") for name in in_wheel)
    assert any(re.match(r"twofold/\w+/migrations/0001_initial\.py$", name) for name in in_wheel)
    # The licence travels with the wheel, word for word.
    (licence,) = (name for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".dist-info/licenses/LICENSE"))
    assert zipfile.ZipFile(wheel).read(licence) == (REPO / "LICENSE").read_bytes()

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], env, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        env,
        cwd=tmp_path,
    )
    site_packages = Path(
        run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], env, cwd=tmp_path).strip()
    )
    (site_packages / "twofold_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    imported_from = run([str(python), "-c", "import twofold; print(twofold.__file__)"], env, cwd=tmp_path).strip()
    assert imported_from.startswith(str(site_packages)), imported_from

    var_dir = tmp_path / "var"
    twofold = str(venv / "bin" / "twofold")
    env |= {
        "TWOFOLD_PRODUCTION": "1",
        "SECRET_KEY": "a-secret-key-for-the-wheel-test-" + "x" * 20,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "TWOFOLD_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'twofold.sqlite3'}",
    }
    var_dir.mkdir()
    run([twofold, "migrate", "--no-input", "-v", "0"], env, cwd=tmp_path)
    port = free_port()
    refused = Server([twofold, "serve", "--bind", f"127.0.0.1:{port}"], env, port, tmp_path, tmp_path / "refused.log")
    assert refused.process.wait(timeout=60) != 0 and "collectstatic" in refused.output()
    refused.stop()
    run([twofold, "collectstatic", "--no-input", "-v", "0"], env, cwd=tmp_path)

    server = Server(
        [twofold, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"], env, port, tmp_path, tmp_path / "serve.log"
    )
    try:
        server.wait_until_up()
        page = get(server.url + "/login/")
        assert page.status == 200 and b'name="username"' in page.body
        # In production mode the page names each static file by its content hash.
        stylesheet = re.search(rb'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page.body)
        assert stylesheet is not None, page.body[:2000]
        css = get(server.url + stylesheet.group(1).decode())
        assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
        assert "max-age=315360000" in css.headers["Cache-Control"]  # WhiteNoise: hashed names live forever
    finally:
        assert server.stop() == 0, server.output()
