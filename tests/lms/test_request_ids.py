"""Structured logs with a request id: every line a request causes (in the web process, and in
the worker that runs a task the request queued) names one id; hostile ids never reach a log.

docs/threats.md, row B13.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import sys

import pytest
from django.test import Client

from lms.logs import JsonFormatter, TextFormatter, logging_config
from lms.request_id import RequestIdFilter
from tests.support.services import wait_for
from tests.support.worker_faults import badge_issued, complete_course_through_the_site

GENERATED = re.compile(r"[0-9a-f]{32}")
REQUEST_LOGGERS = ("credence.requests", "django.request", "django.security")


class JsonLog:
    """What production writes to stderr (the same formatter and filter), captured."""

    def __init__(self):
        self.stream = io.StringIO()

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def events(self) -> list[dict]:
        return [json.loads(line) for line in self.lines()]

    def request_events(self) -> list[dict]:
        """The lines requests write. Not a background thread's (an earlier test's page-purge
        listener may log that its Redis is gone): those belong to no request."""
        return [e for e in self.events() if e["logger"].startswith(REQUEST_LOGGERS)]


@pytest.fixture
def json_log():
    log = JsonLog()
    handler = logging.StreamHandler(log.stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger("credence"), logging.getLogger()]
    saved = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
    logging.getLogger("credence").setLevel(logging.INFO)
    yield log
    for logger, level in saved:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_usable_incoming_id_is_kept_in_the_response_and_every_log_line(db, json_log):
    response = Client(headers={"X-Request-ID": "lb-7f3a.42:edge"}).get("/healthz")
    assert response["X-Request-ID"] == "lb-7f3a.42:edge"
    (access,) = [e for e in json_log.events() if e["logger"] == "credence.requests"]
    assert access["request_id"] == "lb-7f3a.42:edge"
    assert (access["method"], access["path"], access["status"]) == ("GET", "/healthz", 200)


def test_without_an_incoming_id_each_request_gets_its_own(db, json_log):
    first = Client().get("/healthz")["X-Request-ID"]
    second = Client().get("/healthz")["X-Request-ID"]
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second) and first != second
    assert [e["request_id"] for e in json_log.request_events()] == [first, second]


HOSTILE = [
    "a" * 129,  # longer than the 128 characters allowed
    "abc\ndef",
    'abc\r\n{"level": "CRITICAL", "message": "forged"}',
    "id\x00nul",
    "\x1b[31mred",
    "spaced id",
    "naïve",
    "",
]


@pytest.mark.parametrize("hostile", HOSTILE, ids=repr)
def test_a_hostile_incoming_id_is_replaced_never_logged(db, json_log, hostile, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    # The hostile id on a request that logs more than the access line: a 404 of Wagtail's
    # and a refused host logged by Django's security logger.
    responses = [
        Client(headers={"X-Request-ID": hostile}).get("/no-such-page/"),
        Client(headers={"X-Request-ID": hostile}).get("/healthz", HTTP_HOST="evil.example"),
    ]
    for response in responses:
        assert GENERATED.fullmatch(response["X-Request-ID"])
    output = json_log.stream.getvalue()
    lines = json_log.lines()
    assert len(lines) >= 3 and all(json.loads(line) for line in lines)  # one event a line
    if hostile:
        assert hostile not in output
        assert json.dumps(hostile)[1:-1] not in output  # not even escaped
    events = json_log.request_events()
    # The access line of each, Django's "Not Found" and its refused-host error.
    assert len(events) == 4
    assert {e["request_id"] for e in events} == {r["X-Request-ID"] for r in responses}


def test_text_logs_name_the_request_id_or_a_dash_and_escape_a_hostile_path(db, settings):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("credence")
    saved = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        Client(headers={"X-Request-ID": "txt-1"}).get("/healthz/%0A2026-01-01 FORGED")
        logging.getLogger("credence.x").warning("outside a request")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert " INFO credence.requests [txt-1] GET /healthz/\\n2026-01-01 FORGED 404" in lines[0]
    assert lines[1].endswith(" WARNING credence.x [-] outside a request")
    assert logging_config("text", "INFO")["handlers"]["console"]["filters"] == ["request_id"]


def test_an_unknown_log_format_is_a_clear_error():
    with pytest.raises(ValueError, match="DJANGO_LOG_FORMAT"):
        logging_config("xml", "INFO")


def test_the_json_line_keeps_extra_fields_and_the_traceback_on_one_line():
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        record = logging.LogRecord(
            "credence.x", logging.ERROR, "", 0, "failed %s", ("x",), exc_info=sys.exc_info()
        )
    record.badge = "abc"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    event = json.loads(line)
    assert event["message"] == "failed x" and event["badge"] == "abc"
    assert "RuntimeError: boom\nsecond line" in event["exception"]
    assert event["request_id"] is None


# Transactional: the render is queued on commit, which happens inside the request.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_run_in_process_logs_with_the_request_id_that_queued_it(
    site_root, fellow, course_with_badge, json_log
):
    course, modules = course_with_badge
    client = Client(headers={"X-Request-ID": "cohort-9am-1"})
    complete_course_through_the_site(client, fellow, course, modules[0])
    badge = badge_issued(fellow)
    assert badge is not None  # eager: issued during the request
    by_message = {e["message"]: e for e in json_log.events()}
    assert by_message[f"badge {badge.public_id} pending for course {course.pk}"]["request_id"] == (
        "cohort-9am-1"
    )
    assert by_message[f"badge {badge.public_id} issued"]["request_id"] == "cohort-9am-1"
    # The requests after the task ran still carry it: the task put back what it found.
    assert {e["request_id"] for e in json_log.request_events()} == {"cohort-9am-1"}


def worker_events(worker) -> list[dict]:
    events = []
    for line in worker.log().splitlines():
        if line.startswith("{"):
            events.append(json.loads(line))
    return events


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_logs_the_task_with_the_id_of_the_request_that_queued_it(
    fellow, course_with_badge, producer, start_worker, json_log, monkeypatch
):
    monkeypatch.setitem(os.environ, "DJANGO_LOG_FORMAT", "json")
    monkeypatch.setitem(os.environ, "DJANGO_LOG_LEVEL", "INFO")
    worker = start_worker()
    course, modules = course_with_badge
    client = Client(headers={"X-Request-ID": "cohort-9am-2"})
    complete_course_through_the_site(client, fellow, course, modules[0])
    badge = wait_for(lambda: badge_issued(fellow), timeout=90, what="the badge to be issued")

    web = [e for e in json_log.events() if e["message"].startswith(f"badge {badge.public_id}")]
    assert [e["request_id"] for e in web] == ["cohort-9am-2"]  # "pending", in the request
    issued = wait_for(
        lambda: [
            e for e in worker_events(worker) if e["message"] == f"badge {badge.public_id} issued"
        ],
        timeout=10,
        what="the worker's 'issued' line",
    )
    assert [e["request_id"] for e in issued] == ["cohort-9am-2"]
    assert issued[0]["level"] == "INFO" and issued[0]["logger"] == "credence.badges"
    # The worker's own lines outside any task name no request.
    ready = [e for e in worker_events(worker) if e["message"].endswith(" ready.")]
    assert ready and ready[0]["request_id"] is None


def test_celerys_signals_carry_the_id_from_the_publisher_into_the_task_and_back_out():
    from celery.signals import before_task_publish, task_postrun, task_prerun

    from certificates.tasks import ping_task
    from lms import request_id

    headers: dict = {}
    token = request_id.current.set("pub-1")
    try:
        before_task_publish.send(sender=ping_task.name, headers=headers, body=())
    finally:
        request_id.current.reset(token)
    assert headers == {request_id.TASK_HEADER: "pub-1"}

    # In the worker: the message's headers are on the task's request.
    for carried, seen in ((headers, "pub-1"), ({request_id.TASK_HEADER: "x\ny"}, None)):
        ping_task.push_request(id="task-1", **carried)
        try:
            task_prerun.send(sender=ping_task, task_id="task-1", task=ping_task)
            assert request_id.current.get() == seen
            task_postrun.send(sender=ping_task, task_id="task-1", task=ping_task)
            assert request_id.current.get() is None
        finally:
            ping_task.pop_request()
