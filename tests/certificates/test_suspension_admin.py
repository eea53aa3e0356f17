"""The admin's suspend page says what outside verifiers will see of the suspension (C8)."""

import pytest
from django.urls import reverse

from .test_suspension_interop import sign_as_before_decision_0004

pytestmark = pytest.mark.django_db


def suspend_page(client, badge) -> str:
    response = client.get(reverse("badges:suspend", args=[badge.pk]))
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_suspend_page_says_outside_verifiers_will_report_it_suspended(verified_staff_client, badge):
    html = suspend_page(verified_staff_client, badge)
    assert "will report its credential as suspended, not valid" in html
    assert "will NOT see this suspension" not in html


def test_suspend_page_warns_when_outside_verifiers_cannot_see_it(verified_staff_client, badge):
    legacy = sign_as_before_decision_0004(badge)
    html = suspend_page(verified_staff_client, legacy)
    assert "Outside Open Badges verifiers will NOT see this suspension" in html
    assert "revoke it instead" in html
