"""The load mix of ``benchmarks/load.py``: participants, managers, executives and API clients paging people.

Run by ``load.py`` (which passes the ids below in the environment); not meant to be run alone.
Every user takes a session signed in before the run (or, with ``load.py --sign-in``, signs in over
HTTP when it starts) and keeps it, as a browser would; API clients send a service token instead.

The users are locust's ``FastHttpUser`` (geventhttpclient): python-requests costs several times
the CPU per request, and locust shares the machine with the server it measures. Cookies are
carried by hand, as the one ``Cookie`` header a browser would send: the session, the CSRF cookie
(whose value the meeting-log form posts back) and a flashed message until the next page shows it.
Nothing follows a redirect, and every answer is checked against the one the page gives a signed-in
user (200, or the meeting log's 302 to the pair's page), so a lost session (a redirect to the
sign-in page) counts as a failure instead of passing for the sign-in page's 200.
"""

from __future__ import annotations

import json
import os
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

PASSWORD = os.environ["LOAD_PASSWORD"]
RELATIONSHIPS = [int(value) for value in os.environ["LOAD_RELATIONSHIPS"].split(",")]
PROGRAMMES = [int(value) for value in os.environ["LOAD_PROGRAMMES"].split(",")]
PEOPLE_PAGES = int(os.environ.get("LOAD_PEOPLE_PAGES", "100"))
API_TOKEN = os.environ["LOAD_API_TOKEN"]
SESSIONS: dict[str, list[str]] = json.loads(os.environ.get("LOAD_SESSIONS", "{}"))
SESSION_COOKIE = os.environ.get("LOAD_SESSION_COOKIE", "sessionid")
CSRF_COOKIE = "csrftoken"
LOGIN = "/login/"
# Seconds each user waits between two requests (think time), drawn between these two.
WAIT = tuple(float(value) for value in os.environ.get("LOAD_WAIT", "0.5,2.0").split(","))
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SET_COOKIE = re.compile(r"\s*([^=;\s]+)=([^;]*)(.*)", re.DOTALL)
EXPIRED = re.compile(r";\s*max-age=0\b", re.IGNORECASE)


class Browser(FastHttpUser):
    """A signed-in browser: its cookies, sent with each request, and each answer checked."""

    abstract = True
    username = ""
    wait_time = between(WAIT[0], WAIT[1])

    def on_start(self) -> None:
        self.client.client.cookiejar = None  # the cookies below are the only ones sent
        self.cookies: dict[str, str] = {}
        page = self.fetch("GET", LOGIN, name=LOGIN)
        token = TOKEN.search(page.text or "")
        if token is None or CSRF_COOKIE not in self.cookies:
            raise RuntimeError("the sign-in page gave no CSRF token")
        if SESSIONS.get(self.username):
            # A browser that signed in before the run: its session cookie (see load.py).
            self.cookies[SESSION_COOKIE] = SESSIONS[self.username].pop()
            return
        self.fetch(
            "POST",
            LOGIN,
            name="/login/ (sign in)",
            expect=302,
            data={"csrfmiddlewaretoken": token.group(1), "username": self.username, "password": PASSWORD},
            headers={"Referer": f"{self.host}{LOGIN}"},
        )
        if SESSION_COOKIE not in self.cookies:
            raise RuntimeError(f"signing in as {self.username} gave no session")

    def fetch(self, method: str, path: str, *, name: str, expect: int = 200, **kwargs: Any) -> Any:
        """``method path`` with this browser's cookies; a failure unless the answer is ``expect``
        (a redirect, when expected, must not lead to the sign-in page)."""
        headers = kwargs.pop("headers", {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{key}={value}" for key, value in self.cookies.items())
        with self.client.request(
            method, path, name=name, headers=headers, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            location = (response.headers or {}).get("Location", "")
            if response.status_code != expect:
                response.failure(f"{response.status_code} {location}".strip())
            elif location.split("?", 1)[0].endswith(LOGIN):
                response.failure(f"{response.status_code} to the sign-in page")
            else:
                response.success()
            for header in response.headers.getlist("set-cookie") if response.headers else ():
                self._remember(header)
        return response

    def _remember(self, header: str) -> None:
        match = SET_COOKIE.match(header)
        if match is None:
            return
        name, value, attributes = match.groups()
        if EXPIRED.search(attributes) or not value.strip('"'):
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value


class Participant(Browser):
    """One side of a pair: their programmes, their pair's page, logging a meeting, the check-in form."""

    weight = 5
    username = "bench-mentor"

    @task(4)
    def relationship(self) -> None:
        self.fetch("GET", f"/relationships/{RELATIONSHIPS[0]}/", name="/relationships/[id]/")

    @task(2)
    def my_programmes(self) -> None:
        self.fetch("GET", "/programmes/mine/", name="/programmes/mine/")

    @task(1)
    def log_meeting(self) -> None:
        when = (datetime.now(UTC) - timedelta(hours=random.randint(2, 400))).strftime("%Y-%m-%dT%H:%M")
        page = f"/relationships/{RELATIONSHIPS[0]}/"
        posted = self.fetch(
            "POST",
            f"{page}meetings/log/",
            name="/relationships/[id]/meetings/log/ (POST)",
            expect=302,
            # The busiest pair met on most days: the box "another meeting that day" is ticked.
            data={
                "csrfmiddlewaretoken": self.cookies.get(CSRF_COOKIE, ""),
                "starts_at": when,
                "duration_minutes": "45",
                "same_day": "yes",
            },
            headers={"Referer": f"{self.host}{page}"},
        )
        if posted.status_code == 302:
            # The browser follows the redirect to the pair's page, which shows the flashed message.
            self.fetch("GET", page, name="/relationships/[id]/ (after logging)")

    @task(1)
    def meetings(self) -> None:
        # The log alone, as the page's htmx asks for it (without htmx the address redirects to the page).
        self.fetch(
            "GET",
            f"/relationships/{RELATIONSHIPS[0]}/meetings/",
            name="/relationships/[id]/meetings/ (htmx)",
            headers={"HX-Request": "true"},
        )


class Manager(Browser):
    """A programme manager: the review board, the health page, enrolments, concerns."""

    weight = 2
    username = "manager"

    @task(2)
    def board(self) -> None:
        self.fetch("GET", f"/programmes/{PROGRAMMES[0]}/runs/latest/", name="/programmes/[id]/runs/latest/")

    @task(2)
    def health(self) -> None:
        self.fetch("GET", f"/programmes/{random.choice(PROGRAMMES)}/health/", name="/programmes/[id]/health/")

    @task(1)
    def enrolments(self) -> None:
        self.fetch("GET", f"/programmes/{PROGRAMMES[0]}/enrolments/", name="/programmes/[id]/enrolments/")

    @task(1)
    def concerns(self) -> None:
        self.fetch("GET", "/concerns/", name="/concerns/")


class Executive(Browser):
    """The overview of every programme: aggregates only."""

    weight = 1
    username = "executive"

    @task
    def insights(self) -> None:
        self.fetch("GET", "/insights/", name="/insights/")


class DirectoryReader(Browser):
    """A manager paging through the people directory's pages."""

    weight = 1
    username = "manager"

    @task
    def page(self) -> None:
        self.fetch("GET", f"/people/?page={random.randint(1, PEOPLE_PAGES)}", name="/people/?page=[n]")


class ApiClient(FastHttpUser):
    """A script reading the directory through the REST API: page after page, following the cursor."""

    weight = 2
    wait_time = between(WAIT[0], WAIT[1])

    def on_start(self) -> None:
        self.client.client.cookiejar = None  # a script with a token keeps no cookies
        self.cursor: str | None = None

    @task
    def page(self) -> None:
        query = f"?limit=50&cursor={self.cursor}" if self.cursor else "?limit=50"
        with self.client.get(
            f"/api/v1/people{query}",
            name="/api/v1/people?cursor=[c]",
            headers={"Authorization": f"Bearer {API_TOKEN}"},
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 200:
                answer.failure(str(answer.status_code))
                return
            self.cursor = answer.json().get("next_cursor")
            answer.success()
