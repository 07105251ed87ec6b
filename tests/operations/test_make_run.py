"""`make run` as someone runs it in a terminal: Ctrl-C, which the terminal sends as SIGINT to the whole
foreground process group, stops the web server and the background worker alike, and a web server that
stops by itself (its port taken) takes the worker with it. A worker left behind would keep running
tasks against the demo's database after the demo "stopped"."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.operations.processes import REPO, environment, free_port, get, wait_for

pytestmark = pytest.mark.make_run


def group(pgid: int) -> dict[int, str]:
    """The live processes of process group ``pgid`` (zombies aside), with their command lines."""
    members = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # gone while we looked
            continue
        # The fields after the command name, which may itself hold spaces and parentheses.
        state, _parent, process_group = stat.rsplit(")", 1)[1].split()[:3]
        if int(process_group) == pgid and state != "Z":
            members[int(entry.name)] = command
    return members


def make_run(var_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """``make run`` in a process group of its own, as a terminal starts a foreground job. The
    virtualenv running these tests stands in for .venv, as it is (-o: no install); a small
    organisation keeps the first start short."""
    env = environment(var_dir, f"sqlite:///{var_dir / 'twofold.sqlite3'}")
    command = ["make", "-o", "venv", "run", f"VENV={sys.prefix}", f"PORT={port}", "DEMO_PEOPLE=120"]
    with log.open("ab") as output:
        return subprocess.Popen(
            command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(make: subprocess.Popen[bytes]) -> None:
    """Whatever the test left of the group it started, ended."""
    if group(make.pid):
        os.killpg(make.pid, signal.SIGKILL)
        time.sleep(0.5)
    make.wait(timeout=10)


def test_ctrl_c_stops_the_web_server_and_the_worker(tmp_path: Path) -> None:
    assert shutil.which("make"), "make is needed to run the demo"
    var_dir, log = tmp_path / "var", tmp_path / "make-run.log"
    port = free_port()
    make = make_run(var_dir, port, log)
    try:

        def answering() -> bool:
            assert make.poll() is None, f"make run exited {make.returncode}:\n{log.read_text()}"
            try:
                return get(f"http://127.0.0.1:{port}/login/", timeout=2).status == 200
            except OSError:
                return False

        wait_for(answering, timeout=400, message=f"make run did not serve the page:\n{log.read_text()}")
        running = group(make.pid)
        assert any(" worker" in command for command in running.values()), running
        assert any(" runserver " in command for command in running.values()), running

        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C

        wait_for(lambda: not group(make.pid), timeout=60, message=f"running after Ctrl-C: {group(make.pid)}")
        with pytest.raises(OSError):
            get(f"http://127.0.0.1:{port}/login/", timeout=2)
    finally:
        stop(make)

    # Again on the same demo (built already), with the port taken: the web server cannot start and
    # stops, and the worker started beside it does not stay behind.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        make = make_run(var_dir, taken.getsockname()[1], log)
        try:
            make.wait(timeout=300)
            assert "That port is already in use" in log.read_text()
            wait_for(lambda: not group(make.pid), timeout=30, message=f"left running: {group(make.pid)}")
        finally:
            stop(make)
