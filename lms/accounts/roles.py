"""The course team's roles as Wagtail groups: course author, programme admin, badge officer.

Each role is a Django group with model permissions (what Settings → Groups shows), plus
for authors Wagtail's page permissions on every course catalogue and collection
permissions on the root collection for images and documents. `ensure_roles` creates the
groups and adds what is missing; it never takes away a permission an administrator gave a
group on purpose, and never touches other groups or users.

It runs three ways, all idempotent:
- the data migration `accounts.0008_roles`, so a deploy's `migrate` creates the roles;
- after every `migrate` (a post_migrate receiver in AccountsConfig), so permissions that
  appear later, such as those of an app installed after this one (the programme reports'
  `programme.*`), reach the role on the next `migrate` with no new migration here;
- `manage.py setup_roles`, for an operator who created the course catalogue after
  migrating (page permissions need the catalogue page to exist) or wants to see what each
  role holds.

Staff in these groups still need their second factor: every /admin/ path asks for it
(lms.accounts.otp_policy), whatever the user's groups.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EMAIL_PERMISSION = "accounts.view_fellow_email"

COURSE_AUTHOR = "Course author"
PROGRAMME_ADMIN = "Programme admin"
BADGE_OFFICER = "Badge officer"

# A permission is "app_label.codename"; "app_label.*" is every permission of that app
# (the programme app's, whatever its models turn out to be called).
ADMIN_ACCESS = "wagtailadmin.access_admin"


@dataclass(frozen=True)
class Role:
    name: str
    permissions: tuple[str, ...]
    # Wagtail page permissions granted on every CourseIndexPage (the catalogue).
    catalogue_page_permissions: tuple[str, ...] = ()
    # Wagtail collection permissions granted on the root collection.
    root_collection_permissions: tuple[str, ...] = ()
    description: str = field(default="", compare=False)


ROLES: tuple[Role, ...] = (
    Role(
        COURSE_AUTHOR,
        # The "Translate" action of simple_translation (docs/decisions/0007).
        permissions=(ADMIN_ACCESS, "simple_translation.submit_translation"),
        catalogue_page_permissions=(
            "wagtailcore.add_page",
            "wagtailcore.change_page",
            "wagtailcore.publish_page",
        ),
        root_collection_permissions=(
            "wagtailimages.add_image",
            "wagtailimages.change_image",
            "wagtailimages.choose_image",
            "wagtaildocs.add_document",
            "wagtaildocs.change_document",
            "wagtaildocs.choose_document",
        ),
        description="Writes, translates and publishes courses, modules and quizzes; uploads"
        " their images.",
    ),
    Role(
        PROGRAMME_ADMIN,
        permissions=(
            ADMIN_ACCESS,
            EMAIL_PERMISSION,
            "courses.view_enrolment",
            "courses.view_quizattempt",
            "courses.view_coursecompletion",
            "courses.view_stucknotice",
            "courses.view_accommodation",
            "courses.add_accommodation",
            "programme.*",
        ),
        description="Reports, cohorts, learning records; grants accommodations.",
    ),
    Role(
        BADGE_OFFICER,
        permissions=(
            ADMIN_ACCESS,
            EMAIL_PERMISSION,
            "certificates.view_badge",
            "certificates.award_badge",
            "certificates.revoke_badge",
            "certificates.suspend_badge",
            "certificates.reissue_badge",
            "certificates.rerender_badge",
            # Reminding fellows to renew and extending a deadline: an extension can make
            # an out-of-date badge valid again, as reinstating a suspension does, and the
            # reminders go to fellows' addresses, which this role already sees.
            "certificates.manage_renewals",
            "certificates.view_badgedesign",
            "certificates.add_badgedesign",
            "certificates.change_badgedesign",
            "courses.view_coursecompletion",
        ),
        description="Badge designs; awards, revokes, suspends and re-issues badges; reminds"
        " fellows to renew and extends their deadlines.",
    ),
)


@dataclass
class RoleReport:
    """What ensure_roles did to one role, and what it could not do yet."""

    name: str
    created: bool = False
    added: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    catalogues: int = 0


def may_see_fellow_emails(user) -> bool:
    """Whether the admin shows this user fellows' e-mail addresses (else their names)."""
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(EMAIL_PERMISSION))


def _permissions(apps, names: tuple[str, ...]) -> tuple[list, list[str]]:
    """The Permission rows for `names` that exist, and the names that do not (yet)."""
    permission_model = apps.get_model("auth", "Permission")
    found, missing = [], []
    for name in names:
        app_label, codename = name.split(".", 1)
        rows = permission_model.objects.filter(content_type__app_label=app_label)
        if codename != "*":
            rows = rows.filter(codename=codename)
        rows = list(rows.order_by("codename"))
        if rows:
            found.extend(rows)
        else:
            missing.append(name)
    return found, missing


def _catalogues(apps) -> list:
    try:
        index_model = apps.get_model("courses", "CourseIndexPage")
    except LookupError:
        return []
    return list(index_model.objects.all())


def _root_collection(apps):
    collection = apps.get_model("wagtailcore", "Collection")
    return collection.objects.filter(depth=1).first()


def ensure_role(apps, role: Role) -> RoleReport:
    group_model = apps.get_model("auth", "Group")
    group, created = group_model.objects.get_or_create(name=role.name)
    report = RoleReport(role.name, created=created)

    wanted, report.missing = _permissions(apps, role.permissions)
    held = set(group.permissions.values_list("pk", flat=True))
    new = [p for p in wanted if p.pk not in held]
    group.permissions.add(*new)
    report.added += [f"{p.content_type.app_label}.{p.codename}" for p in new]

    if role.catalogue_page_permissions:
        page_permission = apps.get_model("wagtailcore", "GroupPagePermission")
        permissions, missing = _permissions(apps, role.catalogue_page_permissions)
        report.missing += missing
        catalogues = _catalogues(apps)
        report.catalogues = len(catalogues)
        for page in catalogues:
            for permission in permissions:
                _, made = page_permission.objects.get_or_create(
                    group=group, page_id=page.pk, permission=permission
                )
                if made:
                    report.added.append(f"{permission.codename} on page {page.pk}")

    if role.root_collection_permissions:
        collection_permission = apps.get_model("wagtailcore", "GroupCollectionPermission")
        permissions, missing = _permissions(apps, role.root_collection_permissions)
        report.missing += missing
        root = _root_collection(apps)
        if root is None:
            report.missing.append("the root collection")
        else:
            for permission in permissions:
                _, made = collection_permission.objects.get_or_create(
                    group=group, collection_id=root.pk, permission=permission
                )
                if made:
                    report.added.append(f"{permission.codename} on the root collection")
    return report


def ensure_roles(apps=None) -> list[RoleReport]:
    """Create the role groups and add what each is missing. `apps` is a migration's app
    registry, or None for the running project's models."""
    if apps is None:
        from django.apps import apps as project_apps

        apps = project_apps
    from django.db import transaction

    with transaction.atomic():
        return [ensure_role(apps, role) for role in ROLES]


def ensure_roles_after_migrate(sender, using=None, apps=None, **kwargs) -> None:
    """post_migrate receiver. Django sends the signal once per installed app, after
    creating that app's permissions; acting on the last app's signal sees every app's.
    `apps` is the models as migrated (which, after migrating backwards, may lack some)."""
    from django.apps import apps as project_apps
    from django.db import DEFAULT_DB_ALIAS

    configs = list(project_apps.get_app_configs())
    if (using or DEFAULT_DB_ALIAS) != DEFAULT_DB_ALIAS or sender is not configs[-1]:
        return
    try:
        ensure_roles(apps)
    except LookupError:
        return  # migrated back to before the roles' models exist: nothing to do
