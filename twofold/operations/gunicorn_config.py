"""gunicorn's settings for ``twofold serve`` (read by the gunicorn master, which never imports Django).

The master stays free of Twofold's code so that ``SIGHUP`` (``systemctl reload``) starts workers
that load the code and templates installed now, then stops the old ones when their requests end.
"""

from __future__ import annotations

import os

from twofold.operations.logs import logging_config

proc_name = "twofold"
logconfig_dict = logging_config(
    log_format=os.environ.get("LOG_FORMAT", "plain").strip().lower() or "plain",
    level=os.environ.get("LOG_LEVEL", "INFO").upper() or "INFO",
)
# Only Django decides whether a request came over HTTPS (TRUST_X_FORWARDED_PROTO): gunicorn would
# otherwise believe X-Forwarded-Proto from any client on 127.0.0.1.
forwarded_allow_ips = ""
# No runtime control socket: signals (and systemd) manage the server, and two servers on one
# machine would otherwise fight over the one default socket path.
control_socket_disable = True
# A worker is replaced after this many requests, so that memory a worker gathers is given back.
# Replacing one costs seconds of CPU (it imports Django and Twofold afresh, then warms its caches)
# and takes it out of service meanwhile; a worker's memory stays flat after its first few hundred
# requests of the load mix (about 300 MB at 250 requests and still at 5,000 on the 100,000-person
# database), so at 100 requests/s over five workers a replacement every few minutes would only
# spend CPU. The jitter keeps the workers from being replaced all at once.
max_requests = 20000
max_requests_jitter = 2000
# SIGTERM and SIGHUP let running requests finish for this long.
graceful_timeout = 30
