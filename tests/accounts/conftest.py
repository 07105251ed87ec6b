"""A real SMTP server for the account emails, the same one the reminder tests use."""

from __future__ import annotations

from tests.relationships.conftest import smtp_server  # noqa: F401  (a fixture, registered here)
