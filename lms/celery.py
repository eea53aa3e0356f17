"""The Celery application: wiring only. Settings live in lms/settings/celery.py."""

import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from lms import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.dev")

app = Celery("lms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id travels with each task a request queues, and names the worker's log lines
# for it (lms/request_id.py).
before_task_publish.connect(request_id.add_to_task_headers, weak=False)
task_prerun.connect(request_id.enter_task, weak=False)
task_postrun.connect(request_id.leave_task, weak=False)
