"""The match runs' actions, registered with :mod:`twofold.accounts.permissions` when the app loads:
a programme's runs are started, reviewed, edited and published by its managers."""

from __future__ import annotations

from twofold.accounts import permissions as p


def register_rules() -> None:
    for action in ("matchruns.run", "matchruns.edit", "matchruns.publish"):
        p.register(action, p.can_manage_programme, refusal="No such programme.", hidden=True)
