"""The load mix of ``benchmarks/load.py``: participants, managers, executives and API clients paging people.

Run by ``load.py`` (which passes the ids below in the environment); not meant to be run alone.
Every user takes a session signed in before the run (or, with ``load.py --sign-in``, signs in over
HTTP when it starts) and keeps it, as a browser would; API clients send a service token instead.
"""

from __future__ import annotations

import json
import os
import random
import re
from datetime import UTC, datetime, timedelta

from locust import HttpUser, between, task

PASSWORD = os.environ["LOAD_PASSWORD"]
RELATIONSHIPS = [int(value) for value in os.environ["LOAD_RELATIONSHIPS"].split(",")]
PROGRAMMES = [int(value) for value in os.environ["LOAD_PROGRAMMES"].split(",")]
PEOPLE_PAGES = int(os.environ.get("LOAD_PEOPLE_PAGES", "100"))
API_TOKEN = os.environ["LOAD_API_TOKEN"]
SESSIONS: dict[str, list[str]] = json.loads(os.environ.get("LOAD_SESSIONS", "{}"))
SESSION_COOKIE = os.environ.get("LOAD_SESSION_COOKIE", "sessionid")
# Seconds each user waits between two requests (think time), drawn between these two.
WAIT = tuple(float(value) for value in os.environ.get("LOAD_WAIT", "0.5,2.0").split(","))
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class SignedIn(HttpUser):
    abstract = True
    username = ""
    wait_time = between(WAIT[0], WAIT[1])

    def on_start(self) -> None:
        page = self.client.get("/login/", name="/login/")
        token = TOKEN.search(page.text)
        assert token, "no CSRF token on the sign-in page"
        if SESSIONS.get(self.username):
            # A browser that signed in before the run: its session cookie (see load.py).
            self.client.cookies.set(SESSION_COOKIE, SESSIONS[self.username].pop())
            return
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
            # The busiest pair met on most days: the box "another meeting that day" is ticked.
            data={"csrfmiddlewaretoken": self.csrf(), "starts_at": when, "duration_minutes": 45, "same_day": "yes"},
            headers={"Referer": f"{self.host}/relationships/{RELATIONSHIPS[0]}/"},
            name="/relationships/[id]/meetings/log/ (POST)",
        )

    @task(1)
    def meetings(self) -> None:
        # The log alone, as the page's htmx asks for it (without htmx the address redirects to the page).
        self.client.get(
            f"/relationships/{RELATIONSHIPS[0]}/meetings/",
            headers={"HX-Request": "true"},
            name="/relationships/[id]/meetings/ (htmx)",
        )


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


class DirectoryReader(SignedIn):
    """A manager paging through the people directory's pages."""

    weight = 1
    username = "manager"

    @task
    def page(self) -> None:
        self.client.get(f"/people/?page={random.randint(1, PEOPLE_PAGES)}", name="/people/?page=[n]")


class ApiClient(HttpUser):
    """A script reading the directory through the REST API: page after page, following the cursor."""

    weight = 2
    wait_time = between(WAIT[0], WAIT[1])

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {API_TOKEN}"
        self.cursor: str | None = None

    @task
    def page(self) -> None:
        query = f"?limit=50&cursor={self.cursor}" if self.cursor else "?limit=50"
        with self.client.get(f"/api/v1/people{query}", name="/api/v1/people?cursor=[c]", catch_response=True) as answer:
            if answer.status_code == 200:
                self.cursor = answer.json().get("next_cursor")
