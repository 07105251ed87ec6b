"""Run scim2-tester against a Twofold SCIM endpoint and print each check; exit 1 on any error.

    .venv/bin/python scripts/scim_check.py http://127.0.0.1:8000/scim/v2 "$TOKEN"

Needs the dev dependencies (``make venv``). The checks create, change and delete Users with
random values: point it at a test directory, never at production. Groups (Twofold's departments)
are read-only, and scim2-tester has no notion of a read-only resource type, so only Users are
checked unless ``--groups`` is given.
"""

from __future__ import annotations

import argparse
import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server
from scim2_tester.utils import CheckResult

FAILED = {Status.ERROR, Status.CRITICAL}


def run(url: str, token: str, *, groups: bool = False) -> list[CheckResult]:
    with httpx2.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
        return check_server(SyncSCIMClient(http), resource_types=None if groups else ["User"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", help="the SCIM root, e.g. http://127.0.0.1:8000/scim/v2")
    parser.add_argument("token", help="an access token with the scim scope")
    parser.add_argument("--groups", action="store_true", help="check the read-only Groups as well")
    arguments = parser.parse_args()
    results = run(arguments.url, arguments.token, groups=arguments.groups)
    for result in results:
        print(f"{result.status.name:<10} {result.resource_type or '':<6} {result.title}: {result.reason or ''}")
    failed = [result for result in results if result.status in FAILED]
    print(f"{len(results)} checks, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
