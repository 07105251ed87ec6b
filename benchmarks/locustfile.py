"""The load mix of ``benchmarks/load.py``: participants, managers, executives and a directory pager.

Run by ``load.py`` (which passes the ids below in the environment); not meant to be run alone.
Every user signs in once over HTTP and keeps its session, as a browser would.
"""

from __future__ import annotations

import os
import random
import re
from datetime import UTC, datetime, timedelta

from locust import HttpUser, between, task

PASSWORD = os.environ["LOAD_PASSWORD"]
RELATIONSHIPS = [int(value) for value in os.environ["LOAD_RELATIONSHIPS"].split(",")]
PROGRAMMES = [int(value) for value in os.environ["LOAD_PROGRAMMES"].split(",")]
PEOPLE_PAGES = int(os.environ.get("LOAD_PEOPLE_PAGES", "100"))
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class SignedIn(HttpUser):
    abstract = True
    username = ""
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        page = self.client.get("/login/", name="/login/")
        token = TOKEN.search(page.text)
        assert token, "no CSRF token on the sign-in page"
        self.client.post(
            "/login/",
            data={"csrfmiddlewaretoken": token.group(1), "username": self.username, "password": PASSWORD},
            headers={"Referer": f"{self.host}/login/"},
            name="/login/ (sign in)",
            allow_redirects=False,
        )

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")


class Participant(SignedIn):
    """One side of a pair: their programmes, their pair's page, logging a meeting, the check-in form."""

    weight = 5
    username = "bench-mentor"

    @task(4)
    def relationship(self) -> None:
        self.client.get(f"/relationships/{RELATIONSHIPS[0]}/", name="/relationships/[id]/")

    @task(2)
    def my_programmes(self) -> None:
        self.client.get("/programmes/mine/", name="/programmes/mine/")

    @task(1)
    def log_meeting(self) -> None:
        when = (datetime.now(UTC) - timedelta(hours=random.randint(2, 400))).strftime("%Y-%m-%dT%H:%M")
        self.client.post(
            f"/relationships/{RELATIONSHIPS[0]}/meetings/log/",
            data={"csrfmiddlewaretoken": self.csrf(), "starts_at": when, "duration_minutes": 45},
            headers={"Referer": f"{self.host}/relationships/{RELATIONSHIPS[0]}/"},
            name="/relationships/[id]/meetings/log/ (POST)",
        )

    @task(1)
    def meetings(self) -> None:
        self.client.get(f"/relationships/{RELATIONSHIPS[0]}/meetings/", name="/relationships/[id]/meetings/")


class Manager(SignedIn):
    """A programme manager: the review board, the health page, enrolments, concerns."""

    weight = 2
    username = "manager"

    @task(2)
    def board(self) -> None:
        self.client.get(f"/programmes/{PROGRAMMES[0]}/runs/latest/", name="/programmes/[id]/runs/latest/")

    @task(2)
    def health(self) -> None:
        self.client.get(f"/programmes/{random.choice(PROGRAMMES)}/health/", name="/programmes/[id]/health/")

    @task(1)
    def enrolments(self) -> None:
        self.client.get(f"/programmes/{PROGRAMMES[0]}/enrolments/", name="/programmes/[id]/enrolments/")

    @task(1)
    def concerns(self) -> None:
        self.client.get("/concerns/", name="/concerns/")


class Executive(SignedIn):
    """The overview of every programme: aggregates only."""

    weight = 1
    username = "executive"

    @task
    def insights(self) -> None:
        self.client.get("/insights/", name="/insights/")


class DirectoryPager(SignedIn):
    """Paging through the people directory (Twofold has no JSON API to page instead)."""

    weight = 2
    username = "manager"

    @task
    def page(self) -> None:
        self.client.get(f"/people/?page={random.randint(1, PEOPLE_PAGES)}", name="/people/?page=[n]")
