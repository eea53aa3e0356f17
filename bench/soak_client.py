"""The soak run's visitors: fellows working through the course over HTTP, verifiers looking
badges up, and the floors' clients; every request timed and kept as a Sample.

Requests reach gunicorn as our load balancer would forward them: plain HTTP on loopback
with X-Forwarded-Proto https (production settings trust it, so no redirect and secure
cookies), X-Forwarded-For naming the visitor's own address (one trusted proxy), and Origin
on every POST (CSRF over HTTPS). Cookies are kept by hand: the secure cookies of a site
behind TLS would not be sent back over loopback HTTP by a standard cookie jar.
"""

from __future__ import annotations

import http.client
import random
import re
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

HOST = "soak.credence.test"
ORIGIN = f"https://{HOST}"
# A step answered 5xx or not at all is tried again, as a fellow reloads a page; the soak
# counts every such answer, and the invariants decide whether it was allowed.
RETRIES, RETRY_PAUSE = 8, 1.0
_RADIO = re.compile(
    r'<input type="radio" name="(?P<name>[^"]+)" value="(?P<value>[^"]+)"[^>]*>\s*'
    r"(?P<label>[^<]*)</label>"
)


@dataclass(frozen=True)
class Sample:
    label: str
    started: float  # time.monotonic()
    elapsed: float  # seconds
    status: int  # 0: no answer (refused, reset, timed out)


class Recorder:
    """Every request's sample, from every thread (list.append is atomic in CPython)."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)


@dataclass
class Answer:
    status: int
    location: str
    body: str


class JourneyFailed(Exception):
    """A step got an answer no working site gives (not a 5xx, which is retried)."""


class Visitor:
    """One browser: its connection, its cookies and its client address."""

    def __init__(self, port: int, address: str, recorder: Recorder, *, timeout: float = 60):
        self.port, self.address, self.recorder, self.timeout = port, address, recorder, timeout
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, label: str, method: str, path: str, form: dict | None = None) -> Answer:
        headers = {
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "User-Agent": "credence-soak",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            form = {**(form or {}), "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = ORIGIN
            headers["Referer"] = ORIGIN + path
        started = time.monotonic()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self.recorder.add(Sample(label, started, time.monotonic() - started, 0))
            return Answer(0, "", "")
        self.recorder.add(Sample(label, started, time.monotonic() - started, response.status))
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        location = response.headers.get("Location", "")
        if location:
            parts = urlsplit(location)
            location = parts.path + (f"?{parts.query}" if parts.query else "")
        return Answer(response.status, location, content.decode("utf-8", "replace"))

    def step(
        self, label: str, method: str, path: str, expect: int, form: dict | None = None
    ) -> Answer:
        """A request that must succeed: retried on 5xx or no answer, failed otherwise."""
        for _ in range(RETRIES):
            answer = self.request(label, method, path, form)
            if answer.status == expect:
                return answer
            if answer.status and answer.status < 500:
                raise JourneyFailed(f"{label} {method} {path}: {answer.status}, not {expect}")
            time.sleep(RETRY_PAUSE)
        raise JourneyFailed(f"{label} {method} {path}: no good answer in {RETRIES} tries")

    def log_in(self, email: str, password: str) -> None:
        self.step("login_page", "GET", "/accounts/login/", 200)
        self.step(
            "login", "POST", "/accounts/login/", 302, {"username": email, "password": password}
        )


def answers_from_page(page: str, *, right: bool) -> dict[str, str]:
    """The quiz form's answers as a fellow who knows the material (right) or guesses
    wrong picks them: by the choice labels the seeded course gives (bench/soak_seed.py)."""
    picked: dict[str, str] = {}
    for match in _RADIO.finditer(page):
        label = match["label"].strip()
        if label.startswith("Right") == right and match["name"] not in picked:
            picked[match["name"]] = match["value"]
    if not picked:
        raise JourneyFailed("the quiz page shows no choices")
    return picked


@dataclass(frozen=True)
class Course:
    course_id: int
    modules: list[dict]  # {"id", "path"} in order


def fellow_journey(visitor: Visitor, email: str, password: str, course: Course, fails: set[int]):
    """Log in, open the dashboard, enrol, then for each module open it, take its quiz
    (first failing it when the module's index is in `fails`) until passed; the last pass
    completes the course."""
    visitor.log_in(email, password)
    visitor.step("dashboard", "GET", "/learning/", 200)
    visitor.step("enrol", "POST", f"/learning/courses/{course.course_id}/enrol/", 302)
    for index, module in enumerate(course.modules):
        visitor.step("module_page", "GET", module["path"], 200)
        for right in (False, True) if index in fails else (True,):
            start = f"/learning/modules/{module['id']}/quiz/start/"
            attempt = visitor.step("quiz_start", "POST", start, 302).location
            page = visitor.step("quiz_page", "GET", attempt, 200).body
            form = answers_from_page(page, right=right)
            result = visitor.step("quiz_submit", "POST", attempt, 303, form).location
            visitor.step("quiz_result", "GET", result, 200)
    visitor.step("dashboard", "GET", "/learning/", 200)


def client_address(kind: int, n: int) -> str:
    return f"10.{kind}.{(n >> 8) & 255}.{n & 255}"


def verifier_loop(
    port: int,
    recorder: Recorder,
    badge_ids: list[str],
    stop: threading.Event,
    *,
    pause: float,
    seed: int,
) -> None:
    """Anonymous lookups as verifiers make them, each from another client address: the
    JSON verdict mostly, the badge page otherwise."""
    rng = random.Random(seed)
    visitor = Visitor(port, "", recorder)
    while not stop.is_set():
        visitor.address = client_address(200 + rng.randrange(50), rng.randrange(65536))
        public_id = rng.choice(badge_ids)
        if rng.random() < 0.7:
            answer = visitor.request("verdict", "GET", f"/badges/{public_id}.json")
        else:
            answer = visitor.request("badge_page", "GET", f"/badges/{public_id}/")
        if answer.status == 0:
            time.sleep(RETRY_PAUSE)
        stop.wait(pause)


def floor_loop(visitor: Visitor, label: str, until: float) -> None:
    """One client of a floor, as fast as answers come, until `until` (time.monotonic())."""
    while time.monotonic() < until:
        if label == "floor_page":
            visitor.request(label, "GET", "/bench/bare/")
        elif label == "floor_post":
            visitor.request(label, "POST", "/bench/bare-post/", {"a": "1", "b": "2"})
        else:
            visitor.address = client_address(250, random.randrange(65536))
            visitor.request(label, "GET", "/bench/bare.json")
