"""The ``twofold`` command: Django's management commands with Twofold's settings."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError, ProgrammingError

    arguments = list(sys.argv[1:] if argv is None else argv)
    # Commands are spelt with hyphens on the command line (import-people) and underscores in Python.
    if arguments and not arguments[0].startswith("-"):
        arguments[0] = arguments[0].replace("-", "_")
        if arguments[0] == "help" and len(arguments) > 1:
            arguments[1] = arguments[1].replace("-", "_")
    from twofold.audit.context import command_line_context

    try:
        with command_line_context():
            execute_from_command_line(["twofold", *arguments])
    except ImproperlyConfigured as error:
        # A setting the environment got wrong (SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS…): the
        # sentence naming it, and its cause if it has one, not a traceback ending in them (which
        # --traceback still shows).
        if "--traceback" in arguments:
            raise
        cause = f"\n({error.__cause__})" if error.__cause__ is not None else ""
        sys.exit(f"twofold: {error}{cause}")
    except (OperationalError, ProgrammingError) as error:
        # The two database failures a new user meets first deserve a sentence, not a traceback.
        text = str(error)
        if "no such table" in text or ("relation" in text and "does not exist" in text):
            sys.exit(
                f"twofold: the database has no tables yet or is out of date; run `twofold migrate` first.\n({text})"
            )
        if "connect" in text.lower():
            sys.exit(f"twofold: cannot connect to the database named by DATABASE_URL.\n({text.strip()})")
        raise


if __name__ == "__main__":
    main()
