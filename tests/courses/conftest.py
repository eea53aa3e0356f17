"""Course fixtures: a two-module course and an enrolled fellow."""

import pytest

from tests.factories.courses import make_course_with_modules


@pytest.fixture
def course_two(site_root):
    course, modules = make_course_with_modules(site_root, modules=2, questions=3)
    return course, modules


@pytest.fixture
def enrolled(fellow, course_two):
    from courses import services

    services.check_enrol(fellow, course_two[0])
    return fellow
