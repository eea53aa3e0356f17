"""Loads the demo curriculum and demo accounts: idempotent upserts keyed on slugs and e-mails.

Run through ``manage.py load_demo``; tests call :func:`load_demo` directly. Every write
happens inside one transaction, so bad content leaves the database as it was.
"""

import hashlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.images import ImageFile
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.actions.convert_alias import ConvertAliasPageAction
from wagtail.blocks import StreamValue
from wagtail.fields import StreamField
from wagtail.images import get_image_model
from wagtail.models import Locale, Page, Site

from certificates.models import BadgeDesign
from courses import translations
from courses.demo import COURSES, INDEX_INTRO, zh_hant
from courses.demo import versions as demo_versions
from courses.demo.raw import BadgeSpec, CourseSpec, ModuleSpec
from courses.models import CourseIndexPage, CoursePage, ModulePage
from lms.accounts.second_factor import backup_code_digest

ADMIN_EMAIL = "admin@example.org"
ADMIN_NAME = "Demo Admin"
FELLOW_EMAIL = "fellow@example.org"
# Kikuyu orthography: non-ASCII on certificates, but logging in only needs the e-mail.
FELLOW_NAME = "Wanjiru Ngũgĩ"
# A fellow certified on Foundations' first version, asked to renew since its second.
RENEWING_FELLOW_EMAIL = "renewing@example.org"
RENEWING_FELLOW_NAME = "Tomás Ibarra"
TOTP_DEVICE_NAME = "Demo authenticator"
BACKUP_DEVICE_NAME = "Backup codes"
BACKUP_CODE_COUNT = 5
ARTWORK_DIR = Path(__file__).resolve().parent / "artwork"


class DemoContentError(Exception):
    """The curriculum data does not validate against the page models or blocks."""


@dataclass
class PageChanges:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def record(self, status: str, label: str) -> None:
        getattr(self, status).append(label)


@dataclass
class AccountResult:
    email: str
    display_name: str
    is_superuser: bool
    created: bool
    password: str | None = None  # set only when a password was generated this run
    totp_uri: str | None = None  # set only when a TOTP device was made this run
    backup_codes: list[str] = field(default_factory=list)
    note: str = ""  # what the account is there to show, when not plain


@dataclass
class DemoReport:
    site_url: str
    pages: PageChanges
    designs: PageChanges
    accounts: list[AccountResult]
    versions: PageChanges = field(default_factory=PageChanges)


def load_demo(*, reset_passwords: bool = False) -> DemoReport:
    """Create or update the catalogue, both courses, their modules and the demo accounts,
    and the Traditional Chinese tree: Foundations and its first module translated, every
    other page an alias of the English one (``courses.demo.zh_hant``). Then record each
    course's guideline versions (``courses.demo.versions``): Foundations' second one
    changed a module, and the renewing fellow, certified on the first, is asked to renew.

    Idempotent: a second run changes nothing and publishes no revision, unless the
    curriculum data changed (then only the changed pages get a new published revision)
    or ``reset_passwords`` is set (new passwords and new second-factor devices).

    The renewing fellow's badge is rendered, and the e-mails about it sent, when the
    transaction commits (in-process under ``make run``, by a worker otherwise).
    """
    user_model = get_user_model()
    with transaction.atomic():
        pages, designs, versions = PageChanges(), PageChanges(), PageChanges()
        index = _ensure_catalogue(pages)
        courses = []
        for spec in COURSES:
            course = _ensure_course(index, spec, pages)
            _ensure_badge_design(course, spec.badge, designs)
            courses.append(course)
        _ensure_zh_hant(index, courses, pages)
        accounts = [
            _ensure_account(ADMIN_EMAIL, ADMIN_NAME, superuser=True, reset=reset_passwords),
            _ensure_account(FELLOW_EMAIL, FELLOW_NAME, superuser=False, reset=reset_passwords),
            _ensure_account(
                RENEWING_FELLOW_EMAIL, RENEWING_FELLOW_NAME, superuser=False, reset=reset_passwords
            ),
        ]
        admin = user_model.objects.get(email__iexact=ADMIN_EMAIL)
        renewing_user = user_model.objects.get(email__iexact=RENEWING_FELLOW_EMAIL)
        for course, spec in zip(courses, COURSES, strict=True):
            demo_versions.ensure_versions(
                course,
                spec,
                versions,
                load_current=lambda module, course=course: _ensure_module(course, module, pages),
                by=admin,
                certified=renewing_user,
            )
        accounts[-1].note = "; ".join(
            note
            for course in courses
            if (note := demo_versions.renewal_note(renewing_user, course))
        )
    return DemoReport(
        site_url=settings.SITE_URL,
        pages=pages,
        designs=designs,
        accounts=accounts,
        versions=versions,
    )


# --- Pages -----------------------------------------------------------------------


def _strip_ids(value: object) -> object:
    """Drop the block ids Wagtail assigns, so stream content compares by what it says."""
    if isinstance(value, dict):
        return {key: _strip_ids(item) for key, item in value.items() if key != "id"}
    if isinstance(value, list):
        return [_strip_ids(item) for item in value]
    return value


def _clean_stream(model: type[Page], title: str, name: str, raw: list) -> StreamValue:
    """Validate raw JSON against the field's blocks; Model.full_clean() does not do this."""
    stream_block = model._meta.get_field(name).stream_block
    try:
        return stream_block.clean(stream_block.to_python(raw))
    except ValidationError as error:
        detail = error.as_json_data() if hasattr(error, "as_json_data") else error.messages
        raise DemoContentError(f"{title!r}, field {name!r}: {detail}") from error


def _differs(page: Page, wanted: dict[str, object]) -> bool:
    for name, value in wanted.items():
        model_field = page._meta.get_field(name)
        current = getattr(page, name)
        if isinstance(model_field, StreamField):
            block = model_field.stream_block
            if _strip_ids(block.get_prep_value(current)) != _strip_ids(block.get_prep_value(value)):
                return True
        elif name == "prerequisites":
            if set(current.values_list("pk", flat=True)) != {p.pk for p in value}:
                return True
        elif current != value:
            return True
    return False


def _assign(page: Page, wanted: dict[str, object]) -> None:
    for name, value in wanted.items():
        if name == "prerequisites":
            page.prerequisites.set(value)
        else:
            setattr(page, name, value)


def _upsert_page(parent: Page, model: type[Page], slug: str, fields: dict, pages: PageChanges):
    """Create, update or leave one page under ``parent``; publish a revision only on change."""
    existing = parent.get_children().filter(slug=slug).first()
    if existing is not None and not isinstance(existing.specific, model):
        raise DemoContentError(f"'{existing.url_path}' exists but is not a {model.__name__}.")
    page = existing.specific if existing is not None else model(slug=slug)
    wanted = {
        name: _clean_stream(model, fields["title"], name, value)
        if isinstance(model._meta.get_field(name), StreamField)
        else value
        for name, value in fields.items()
    }
    label = f"{model._meta.verbose_name}: {fields['title']}"
    if existing is None:
        _assign(page, wanted)
        # add_child() saves a live page with Page.save(clean=True), which runs
        # full_clean() before the INSERT; a new page has no tree path to clean before that.
        parent.add_child(instance=page)
        page.save_revision().publish()
        pages.record("created", label)
    elif _differs(page, wanted) or not page.live:
        _assign(page, wanted)
        page.full_clean()
        page.save_revision().publish()
        pages.record("updated", label)
    else:
        pages.record("unchanged", label)
    return page


def _ensure_catalogue(pages: PageChanges) -> CourseIndexPage:
    root = Page.get_first_root_node()
    # One catalogue per language (max_count = 1 in the admin): reuse the default one.
    index = CourseIndexPage.objects.filter(locale_id=translations.default_locale_id()).first()
    index = _upsert_page(
        index.get_parent() if index else root,
        CourseIndexPage,
        index.slug if index else "courses",
        {"title": "Courses", "intro": INDEX_INTRO},
        pages,
    )
    _point_default_site_at(index)
    _remove_wagtail_welcome_page()
    return index


def _point_default_site_at(index: CourseIndexPage) -> None:
    parsed = urlparse(settings.SITE_URL)
    hostname = parsed.hostname or "localhost"
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site(is_default_site=True)
    before = (site.root_page_id, site.site_name, site.hostname, site.port)
    site.root_page = index
    site.site_name = settings.WAGTAIL_SITE_NAME
    # Use SITE_URL's host so admin "view live" links work, unless another site has it.
    if not Site.objects.filter(hostname=hostname, port=port).exclude(pk=site.pk).exists():
        site.hostname, site.port = hostname, port
    if site.pk is None or before != (site.root_page_id, site.site_name, site.hostname, site.port):
        site.full_clean()
        site.save()


def _remove_wagtail_welcome_page() -> None:
    """Delete the "Welcome to your new Wagtail site!" page that Wagtail's migrations make.

    Only that exact page: a plain Page at the top level, slug "home", with no children
    and no longer the root of any site. Anything an editor made is left alone.
    """
    plain_page = ContentType.objects.get_for_model(Page)
    for welcome in Page.objects.filter(depth=2, slug="home", content_type=plain_page):
        if welcome.numchild == 0 and not Site.objects.filter(root_page=welcome).exists():
            welcome.delete()


def _ensure_course(index: CourseIndexPage, spec: CourseSpec, pages: PageChanges) -> CoursePage:
    prerequisites = []
    for slug in spec.prerequisites:
        required = CoursePage.objects.child_of(index).filter(slug=slug).first()
        if required is None:
            raise DemoContentError(f"{spec.title!r} requires {slug!r}, which is not loaded first.")
        prerequisites.append(required)
    course = _upsert_page(
        index,
        CoursePage,
        spec.slug,
        {
            "title": spec.title,
            "summary": spec.summary,
            "description": spec.description,
            "learning_outcomes": [{"type": "outcome", "value": o} for o in spec.learning_outcomes],
            "level": spec.level,
            "estimated_minutes": spec.estimated_minutes,
            "search_description": spec.summary,
            "prerequisites": prerequisites,
        },
        pages,
    )
    changed_later = demo_versions.modules_changed_later(course, spec)
    for module in spec.modules:
        _ensure_module(course, module, pages, first=module.slug in changed_later)
    _keep_module_order(course, [module.slug for module in spec.modules])
    return course


def _ensure_module(
    course: CoursePage, spec: ModuleSpec, pages: PageChanges, *, first: bool = False
) -> ModulePage:
    """The module with its current content, or with ``first``, as the course's first
    version had it (a later version, not yet recorded, changes it)."""
    body, questions = spec.body, spec.questions
    if first and spec.first_body is not None:
        body, questions = spec.first_body, spec.first_questions or spec.questions
    return _upsert_page(
        course,
        ModulePage,
        spec.slug,
        {
            "title": spec.title,
            "summary": spec.summary,
            "estimated_minutes": spec.estimated_minutes,
            "search_description": spec.summary,
            "body": body,
            "quiz_questions": questions,
            "questions_per_attempt": spec.questions_per_attempt,
            "pass_mark_percent": spec.pass_mark_percent,
            "max_attempts": spec.max_attempts,
            "cooldown_minutes": spec.cooldown_minutes,
            "answer_reveal": spec.answer_reveal,
        },
        pages,
    )


def _keep_module_order(course: CoursePage, slugs: list[str]) -> None:
    """Move modules only when their authored order changed (a move rewrites tree paths)."""
    current = [
        slug
        for slug in ModulePage.objects.child_of(course)
        .order_by("path")
        .values_list("slug", flat=True)
        if slug in slugs
    ]
    if current == slugs:
        return
    for slug in slugs:
        page = ModulePage.objects.child_of(course).get(slug=slug)
        page.move(course, pos="last-child")


# --- The Traditional Chinese tree ----------------------------------------------------


def _ensure_zh_hant(index: CourseIndexPage, courses: list[CoursePage], pages: PageChanges) -> None:
    """Give every English page a zh-hant version: a translation where ``zh_hant`` has one,
    otherwise an alias of the English page (as simple_translation's synchronised trees
    make when an editor creates a page), shown with a "not translated yet" note."""
    locale = Locale.objects.filter(language_code=zh_hant.LANGUAGE).first()
    if locale is None:  # the language was taken out of settings and migrations
        return
    _ensure_translation(index, locale, zh_hant.CATALOGUE, pages)
    for course in courses:
        wanted = zh_hant.TRANSLATIONS.get(course.slug, {})
        if "course" in wanted:
            _ensure_translation(course, locale, wanted["course"], pages)
        else:
            _ensure_alias(course, locale)
        for module in ModulePage.objects.child_of(course).order_by("path"):
            if module.slug in wanted.get("modules", {}):
                _ensure_translation(module, locale, wanted["modules"][module.slug], pages)
            else:
                _ensure_alias(module, locale)


def _ensure_alias(source: Page, locale: Locale) -> Page:
    existing = source.get_translation_or_none(locale)
    if existing is not None:
        return existing
    return source.copy_for_translation(locale, alias=True)


def _with_source_ids(translated: list, source_raw: list) -> list:
    """Translated blocks given the ids of the source's blocks at the same place, so a
    translated quiz has the source's structure (block ids included: reports add up a
    question's answers across languages) and the lesson's anchors line up."""
    if len(translated) != len(source_raw):
        return translated
    return [
        {**block, "id": source["id"]} for block, source in zip(translated, source_raw, strict=True)
    ]


def _ensure_translation(source: Page, locale: Locale, fields: dict, pages: PageChanges) -> Page:
    """Create, update or leave the translation of ``source`` into ``locale``; publish a
    revision only on change. An alias is turned into a translation first."""
    source = source.specific
    model = type(source)
    page = source.get_translation_or_none(locale)
    created = page is None
    if created:
        page = source.copy_for_translation(locale)
    elif page.alias_of_id is not None:
        ConvertAliasPageAction(page).execute(skip_permission_checks=True)
        page = Page.objects.get(pk=page.pk)
        created = True
    page = page.specific
    wanted = {}
    for name, value in fields.items():
        if isinstance(model._meta.get_field(name), StreamField):
            if name == "learning_outcomes":
                value = [{"type": "outcome", "value": o} for o in value]
            value = _with_source_ids(value, getattr(source, name).raw_data)
            value = _clean_stream(model, fields["title"], name, value)
        wanted[name] = value
    label = f"{model._meta.verbose_name} ({locale.language_code}): {fields['title']}"
    if created or _differs(page, wanted) or not page.live:
        _assign(page, wanted)
        page.full_clean()
        page.save_revision().publish()
        pages.record("created" if created else "updated", label)
    else:
        pages.record("unchanged", label)
    return page


# --- Badge designs -------------------------------------------------------------------


def _ensure_artwork(spec: BadgeSpec):
    """The shipped artwork as a Wagtail image, found again by its content hash on later
    runs (so a renamed or re-titled image is still reused, and nothing is uploaded twice)."""
    path = ARTWORK_DIR / spec.artwork
    try:
        content = path.read_bytes()
    except OSError as error:
        raise DemoContentError(f"badge artwork {spec.artwork!r} is missing: {error}") from error
    # Wagtail's own file_hash is the SHA-1 of the file's bytes.
    digest = hashlib.sha1(content, usedforsecurity=False).hexdigest()
    image_model = get_image_model()
    image = image_model.objects.filter(file_hash=digest).order_by("pk").first()
    if image is None:
        with path.open("rb") as handle:
            image = image_model(title=f"Badge artwork: {spec.title}")
            image.file = ImageFile(handle, name=spec.artwork)
            image.save()
        image.get_file_hash()  # computes and stores file_hash, so the next run finds it
    return image


def _ensure_badge_design(course: CoursePage, spec: BadgeSpec, designs: PageChanges) -> BadgeDesign:
    """Create the course's badge design, or restore the shipped one if it was changed.
    Saved only on a change: each save bumps the design's template version."""
    wanted = {
        "title": spec.title,
        "description": spec.description,
        "criteria": spec.criteria,
        "signatory_name": spec.signatory_name,
        "signatory_title": spec.signatory_title,
        "accent_color": spec.accent_color,
        "validity_days": spec.validity_days,
        "artwork": _ensure_artwork(spec),
    }
    design = BadgeDesign.objects.filter(course=course).first()
    label = f"badge design: {spec.title}"
    if design is None:
        design = BadgeDesign(course=course, **wanted)
        status = "created"
    elif any(getattr(design, name) != value for name, value in wanted.items()):
        for name, value in wanted.items():
            setattr(design, name, value)
        status = "updated"
    else:
        designs.record("unchanged", label)
        return design
    try:
        design.full_clean()
    except ValidationError as error:
        raise DemoContentError(f"{label}: {error.messages}") from error
    design.save()
    designs.record(status, label)
    return design


# --- Accounts ----------------------------------------------------------------------


def _new_password() -> str:
    return secrets.token_urlsafe(12)


def _ensure_account(email: str, name: str, *, superuser: bool, reset: bool) -> AccountResult:
    """Create the account if missing; never touch an existing password unless ``reset``."""
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=email).first()
    result = AccountResult(email=email, display_name=name, is_superuser=superuser, created=False)
    if user is None:
        result.password = _new_password()
        create = (
            user_model.objects.create_superuser if superuser else user_model.objects.create_user
        )
        user = create(email=email, password=result.password, display_name=name)
        result.created = True
    else:
        result.display_name = user.display_name
        changed = False
        if reset:
            result.password = _new_password()
            user.set_password(result.password)
            changed = True
        if superuser and not (user.is_staff and user.is_superuser and user.is_active):
            user.is_staff = user.is_superuser = user.is_active = True
            changed = True
        if changed:
            user.save()
    if superuser:
        _ensure_second_factor(user, result, reset=reset)
    return result


def _ensure_second_factor(user, result: AccountResult, *, reset: bool) -> None:
    totp = TOTPDevice.objects.filter(user=user, name=TOTP_DEVICE_NAME, confirmed=True).first()
    if totp is None or reset:
        TOTPDevice.objects.filter(user=user, name=TOTP_DEVICE_NAME).delete()
        totp = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)
        result.totp_uri = totp.config_url
    backup = StaticDevice.objects.filter(user=user, name=BACKUP_DEVICE_NAME, confirmed=True).first()
    if backup is None or reset:
        StaticDevice.objects.filter(user=user, name=BACKUP_DEVICE_NAME).delete()
        backup = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
        for _ in range(BACKUP_CODE_COUNT):
            code = StaticToken.random_token()
            backup.token_set.create(token=backup_code_digest(code))  # never stored as itself
            result.backup_codes.append(code)
