"""Nothing in the project refers to a path outside the repository (issue 9, finding 7).

A test that reads data from this machine's workspace or from a folder beside the checkout passes
here and fails in every other clone (a contributor's laptop, a fork's CI); a benchmark or script
that does so cannot be rerun.
This scans the code, the tests, the benchmarks, the scripts, the build and CI files and the docs.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ["twofold", "tests", "benchmarks", "scripts", ".ci", "docs", "Makefile", "pyproject.toml", "README.md"]
SKIPPED_FOLDERS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", "node_modules"}

# Spelled in pieces so that this file does not match itself.
SHARED = "sha" + "red"
OUTSIDE = re.compile(
    "|".join(
        [
            r"/wo" + r"rk/",  # this machine's workspace
            rf"\.\./+{SHARED}\b",  # the sibling folder next to the checkout
            rf"(?<![\w./-]){SHARED}/(?:notes|benchmarks|hooks)\b",  # files in it, named relatively
            r"/ho" + r"me/[A-Za-z]",  # someone's home folder
            r"/Us" + r"ers/[A-Za-z]",
            r"[A-Za-z]:\\Us" + r"ers\\",
        ]
    )
)


def project_files() -> list[Path]:
    files: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += [
                found
                for found in sorted(path.rglob("*"))
                if found.is_file() and not SKIPPED_FOLDERS.intersection(found.relative_to(ROOT).parts)
            ]
    return files


def outside_references(files: list[Path], root: Path = ROOT) -> list[str]:
    """``path:line: text`` for every line naming a path outside the repository."""
    found = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # images and compressed data: no paths to read
        for number, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


def test_finding_7_no_file_of_the_project_refers_to_a_path_outside_the_repository():
    files = project_files()
    assert len(files) > 100 and ROOT / "tests" / "matching" / "test_assign.py" in files
    assert outside_references(files) == []


def test_the_scan_finds_each_kind_of_outside_path(tmp_path):
    samples = {
        "absolute.py": 'DATA = Path("/wo' + 'rk/shared/benchmarks/orlib")\n',
        "sibling.md": "see ../" + SHARED + "/notes/measurements.md\n",
        "relative.py": '"""Measured (``' + SHARED + '/notes/matching-measurements.md``)."""\n',
        "home.toml": 'cache = "/ho' + 'me/alice/.cache"\n',
        "fine.py": 'shared_codes = _shared_codes(left, right)  # "shared" as a word is fine\n',
    }
    for name, text in samples.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    files = sorted(tmp_path.iterdir())
    flagged = {line.split(":", 1)[0] for line in outside_references(files, tmp_path)}
    assert flagged == {"absolute.py", "sibling.md", "relative.py", "home.toml"}


def test_the_or_library_instances_are_read_from_inside_the_repository():
    data = ROOT / "tests" / "matching" / "data" / "orlib"
    assert (data / "README.md").is_file() and (data / "optima.txt").is_file()
    assert len(list(data.glob("assign*.txt.gz"))) == 12
