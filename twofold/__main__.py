"""The ``twofold`` command: Django's management commands with Twofold's settings."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
    from django.core.management import execute_from_command_line

    arguments = list(sys.argv[1:] if argv is None else argv)
    # Commands are spelt with hyphens on the command line (import-people) and underscores in Python.
    if arguments and not arguments[0].startswith("-"):
        arguments[0] = arguments[0].replace("-", "_")
        if arguments[0] == "help" and len(arguments) > 1:
            arguments[1] = arguments[1].replace("-", "_")
    execute_from_command_line(["twofold", *arguments])


if __name__ == "__main__":
    main()
