"""Benchmark: what every request pays before and after its page's own work, inside one process.

Calls Django's WSGI application with the environ a WSGI server hands it (as gunicorn's sync worker
does, with the same cookies and headers a browser sends), so the figures include the whole
middleware stack, the session and account loading, ``base.html`` and the access log line, and
nothing of a test client. For each address: the CPU of the process (``time.process_time``, median
of ``--requests`` after warm-up requests), its queries, and with ``--queries`` their SQL. Meant for
a copy of the scale database (it signs in the load mix's manager and issues a service token there,
as ``benchmarks/page_costs.py`` does), or any database with the demo accounts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tw_copy python benchmarks/fixed_cost.py [--requests 200]
    ... python benchmarks/fixed_cost.py --only /account/ --queries     # the SQL of one request
    ... python benchmarks/fixed_cost.py --only /account/ --profile     # cProfile over all the requests
    ... python benchmarks/fixed_cost.py --serve                         # the same through `twofold serve`
    valgrind --tool=callgrind --instr-atstart=no python benchmarks/fixed_cost.py --callgrind --only /account/

``--callgrind`` switches callgrind's instrumentation on for the measured requests only (through
``callgrind_control``), so the instructions it counts, divided by ``--requests``, are what one request
costs: steadier than CPU time on a shared machine, and fine enough for effects of a few per cent.

``--serve`` starts ``twofold serve --workers 1`` on the same database and sends the same requests
over HTTP, one after another: the CPU the web process used (``/proc``, user and system time) per
request, beside the in-process figure, is what the server and its socket add.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import os
import pstats
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (who asks, address): two pages that exist only here (see bench_urls), a page with almost nothing
# of its own, the cheapest of the load mix's pages, and the API request of the load mix.
EMPTY, BARE = "/_fixed/empty/", "/_fixed/base/"
PAGES = [
    ("manager", EMPTY),
    ("manager", BARE),
    ("manager", "/account/"),
    ("manager", "/concerns/"),
    ("token", "/api/v1/people?limit=50"),
]
# The URL map of the requests made in this process (settings.ROOT_URLCONF names this module).
urlpatterns: list[Any] = []


def environ_for(url: str, *, cookie: str = "", authorization: str = "") -> dict[str, Any]:
    """The environ of a browser's GET of ``url`` as a WSGI server builds it."""
    path, _, query = url.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.5",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate",
        "HTTP_CONNECTION": "keep-alive",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    if authorization:
        environ["HTTP_AUTHORIZATION"] = authorization
    return environ


def bench_urls() -> list[Any]:
    """Twofold's URLs and two of the benchmark's own, for a signed-in user: ``EMPTY`` answers "ok"
    (the middleware, the session and the account, nothing else), ``BARE`` an empty ``base.html``
    page (the navigation, its permission and the template)."""
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse
    from django.template import engines
    from django.urls import path

    from twofold.urls import urlpatterns

    bare = engines["django"].from_string('{% extends "base.html" %}{% block content %}{% endblock %}')
    return [
        path(EMPTY[1:], login_required(lambda request: HttpResponse("ok"))),
        path(BARE[1:], login_required(lambda request: HttpResponse(bare.render({}, request)))),
        *urlpatterns,
    ]


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU of process ``pid`` so far (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def served(port: int) -> tuple[subprocess.Popen[bytes], int]:
    """``twofold serve`` with one web process on ``port``, up; and that process's id."""
    server = subprocess.Popen(
        [sys.executable, "-m", "twofold", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
        pids = children.read_text().split() if children.exists() else []
        if pids:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return server, int(pids[0])
            except OSError:
                pass
        time.sleep(0.3)
    server.kill()
    raise SystemExit("twofold serve did not come up")


def http_get(port: int, url: str, headers: dict[str, str]) -> int:
    """One GET over a new connection, as gunicorn's sync workers close each one."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", url, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def callgrind_instrument(*, on: bool) -> None:
    """Switch callgrind's instrumentation of this process on or off (it must run under callgrind)."""
    subprocess.run(
        ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())], check=True, capture_output=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--only", help="one address, as listed in PAGES")
    parser.add_argument("--queries", action="store_true", help="print the SQL of one request of each address")
    parser.add_argument("--profile", action="store_true", help="cProfile all the requests of each address")
    parser.add_argument("--sort", default="tottime", help="the profile's order: tottime or cumulative")
    parser.add_argument("--lines", type=int, default=40, help="the profile's lines")
    parser.add_argument("--serve", action="store_true", help="also through `twofold serve --workers 1`")
    parser.add_argument("--port", type=int, default=8765, help="where --serve listens")
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="under valgrind --tool=callgrind --instr-atstart=no: count the requests only",
    )
    arguments = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # as benchmarks/load.py serves: the access line built, not shown
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from benchmarks.page_costs import signed_in_clients

    clients, _ = signed_in_clients("fixed cost")
    cookies = {
        who: "; ".join(f"{key}={morsel.value}" for key, morsel in client.cookies.items())
        for who, client in clients.items()
        if who != "token"
    }
    token_header = clients["token"].defaults["HTTP_AUTHORIZATION"]
    global urlpatterns
    urlpatterns = bench_urls()
    settings.ROOT_URLCONF = __name__
    application = WSGIHandler()

    def request(who: str, url: str) -> int:
        environ = environ_for(
            url,
            cookie=cookies.get(who, ""),
            authorization=token_header if who == "token" else "",
        )
        status: list[str] = []
        headers: list[tuple[str, str]] = []

        def start_response(line: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            status.append(line)
            headers.extend(response_headers)

        body = application(environ, start_response)
        try:
            for _ in body:
                pass
        finally:
            body.close()  # request_finished: what a WSGI server does after the last byte
        for name, value in headers:
            # The CSRF cookie a browser keeps after its first page: no new secret on every request.
            # (Django's WSGI handler writes each Set-Cookie value with a space in front.)
            cookie = value.strip().split(";", 1)[0]
            csrf = f"{settings.CSRF_COOKIE_NAME}="
            if name == "Set-Cookie" and cookie.startswith(csrf) and who in cookies:
                others = [part for part in cookies[who].split("; ") if not part.startswith(csrf)]
                cookies[who] = "; ".join([*others, cookie])
        return int(status[0].split()[0])

    results = {}
    for who, url in PAGES:
        if arguments.only and url != arguments.only:
            continue
        for _ in range(5):
            status = request(who, url)
            assert status == 200, f"{url} answered {status}"
        cpu = []
        profile = cProfile.Profile(time.process_time) if arguments.profile else None
        if arguments.callgrind:
            callgrind_instrument(on=True)
        for _ in range(arguments.requests):
            if profile is not None:
                profile.enable()
            started = time.process_time()
            request(who, url)
            cpu.append((time.process_time() - started) * 1000)
            if profile is not None:
                profile.disable()
        if arguments.callgrind:
            callgrind_instrument(on=False)
        # Counted apart: recording the queries costs CPU of its own.
        with CaptureQueriesContext(connection) as captured:
            request(who, url)
        results[url] = {
            "cpu_ms_median": round(statistics.median(cpu), 2),
            "cpu_ms_mean": round(statistics.fmean(cpu), 2),
            "queries": len(captured.captured_queries),
        }
        print(url, json.dumps(results[url]), flush=True)
        if arguments.queries:
            for query in captured.captured_queries:
                print(f"    {query['sql'][:300]}")
        if profile is not None:
            pstats.Stats(profile).sort_stats(arguments.sort).print_stats(arguments.lines)

    if not arguments.serve:
        return
    server, worker = served(arguments.port)
    try:
        for who, url in PAGES:
            if (arguments.only and url != arguments.only) or url in (EMPTY, BARE):
                continue
            headers = {
                "Host": f"127.0.0.1:{arguments.port}",
                **{
                    key[5:].replace("_", "-").title(): value
                    for key, value in environ_for(url).items()
                    if key.startswith("HTTP_") and key != "HTTP_HOST"
                },
            }
            if who == "token":
                headers["Authorization"] = token_header
            else:
                headers["Cookie"] = cookies[who]
            for _ in range(20):  # the process's first requests load code, templates, plans
                status = http_get(arguments.port, url, headers)
                assert status == 200, f"{url} answered {status} through twofold serve"
            before = process_cpu_seconds(worker)
            for _ in range(arguments.requests):
                http_get(arguments.port, url, headers)
            per_request = (process_cpu_seconds(worker) - before) * 1000 / arguments.requests
            results[url]["served_cpu_ms"] = round(per_request, 2)
            print(url, json.dumps(results[url]), flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
