"""Start the test provider: ``python -m tests.sso.provider.serve SPEC.json``.

Binds a free port on loopback, writes the issuer into the specification it was given, migrates its
own SQLite database, creates the users and registered clients the specification names, prints the
port on one line, and serves until it is stopped.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main(spec_path: str) -> None:
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    port = server.server_address[1]
    spec = json.loads(Path(spec_path).read_text())
    spec["issuer"] = f"http://127.0.0.1:{port}/o"
    Path(spec_path).write_text(json.dumps(spec))
    os.environ["TEST_PROVIDER_SPEC"] = spec_path
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.sso.provider.settings"

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    for username, user in spec["users"].items():
        User.objects.create_user(username=username, password=user["password"])
    for client_id, client in spec["clients"].items():
        Application.objects.create(
            name=client_id,
            client_id=client_id,
            client_secret=client["secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            algorithm=Application.RS256_ALGORITHM,
            redirect_uris=" ".join(client["redirect_uris"]),
            post_logout_redirect_uris=" ".join(client.get("post_logout_redirect_uris", [])),
            skip_authorization=True,
        )
    server.set_app(get_wsgi_application())
    print(port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
