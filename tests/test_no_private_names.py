"""The project uses only the public APIs of the libraries it is built on (project brief):
no private name (one with a leading underscore) of Django, Wagtail, psycopg, redis-py,
Celery or kombu, in the app, the tests or the benchmarks.

Found by reading the source with `ast`, without running it:
(a) an import of an underscore name, or from an underscore module, of those libraries;
(b) an attribute `obj._name` (or getattr(obj, "_name")) where `_name` is defined nowhere in
    the project's own code: then it can only be a library's private name (reading source,
    the check cannot tell whose, so another library's private name is reported too);
(c) a project class that inherits from one of those libraries' classes and defines an
    underscore name the library class already has: an override of a private hook.
A failure lists every offending file:line.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Under `make mutate` the tests run in mutmut's copy of the tree, whose modules mutmut has
# rewritten with names of its own: the rule is about our sources, checked everywhere else.
pytestmark = pytest.mark.skipif(
    ROOT.name == "mutants", reason="mutmut's rewritten copy of the sources, not the sources"
)
PACKAGES = ("lms", "courses", "certificates", "tests", "bench")
SKIPPED_PARTS = {"migrations", ".venv", "mutants", "__pycache__"}
LIBRARIES = {"django", "wagtail", "psycopg", "redis", "celery", "kombu"}
# Attributes the project sets on library objects (a request, a connection) start so.
OWN_PREFIX = "_credence_"

# Underscore names that are documented public API, each with where it is documented.
PUBLIC_UNDERSCORE_NAMES = {
    "_meta": "Django's Model _meta API (docs/ref/models/meta)",
    "_default_manager": "Django's Model._default_manager (docs/topics/db/managers)",
    "_db": "a Django manager's database, as in the custom user manager of docs/topics/auth",
    "_replace": "collections.namedtuple (urllib.parse results are named tuples)",
    "_asdict": "collections.namedtuple",
    "_fields": "collections.namedtuple",
    "_make": "collections.namedtuple",
    "_exit": "os._exit, documented for leaving a forked child",
}
# Private names of other libraries, kept knowingly: each has no public equivalent, its
# library is pinned in pyproject.toml, and a named test fails if an upgrade changes it.
KNOWN_OTHER_LIBRARY_NAMES = {
    "_page_box": "WeasyPrint's laid-out page box, the only way to see a frame overflow the "
    "page (certificates/rendering/pdf.py; test_rendering.py's one-page tests)",
}
ALLOWED_NAMES = PUBLIC_UNDERSCORE_NAMES.keys() | KNOWN_OTHER_LIBRARY_NAMES.keys()


def project_files() -> list[Path]:
    files = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if not SKIPPED_PARTS.intersection(path.relative_to(ROOT).parts):
                files.append(path)
    return files


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def names_defined(tree: ast.Module) -> set[str]:
    """Underscore names a module defines: functions, classes, methods, assigned names and
    attributes (self._x = ...), import aliases."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            # self._x = ... defines the project's own attribute; obj._x = ... on any other
            # object may be a library's private attribute being set, unless it carries the
            # prefix of the attributes the project hangs on library objects.
            on_self = isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}
            if on_self or node.attr.startswith(OWN_PREFIX):
                found.add(node.attr)
        elif isinstance(node, ast.alias) and node.asname:
            found.add(node.asname)
    return {name for name in found if is_private(name)}


def library_module(module: str | None) -> bool:
    return bool(module) and module.split(".")[0] in LIBRARIES


def private_imports(tree: ast.Module) -> list[tuple[int, str]]:
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if library_module(alias.name) and any(map(is_private, parts)):
                    hits.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            if not library_module(node.module):
                continue
            private_module = any(map(is_private, node.module.split(".")))
            for alias in node.names:
                if private_module or is_private(alias.name):
                    hits.append((node.lineno, f"from {node.module} import {alias.name}"))
    return hits


def private_attributes(tree: ast.Module, ours: set[str]) -> list[tuple[int, str]]:
    hits = []
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Attribute):
            name = node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "setattr", "hasattr", "delattr"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            name = node.args[1].value
        if name and is_private(name) and name not in ours and name not in ALLOWED_NAMES:
            hits.append((node.lineno, f".{name} is defined nowhere in the project"))
    return hits


def imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted path, for names imported from the libraries."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and library_module(node.module):
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if library_module(alias.name):
                    names[alias.asname or alias.name.split(".")[0]] = alias.name
    return names


def resolve(dotted: str):
    """The object at a dotted path such as "django.db.backends.utils.CursorWrapper"."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(dotted)


def base_path(base: ast.expr, imported: dict[str, str]) -> str | None:
    if isinstance(base, ast.Name):
        return imported.get(base.id)
    if isinstance(base, ast.Attribute):
        inner = base_path(base.value, imported)
        return f"{inner}.{base.attr}" if inner else None
    return None


def private_overrides(tree: ast.Module) -> list[tuple[int, str]]:
    imported = imported_names(tree)
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = [path for path in (base_path(b, imported) for b in node.bases) if path]
        if not bases:
            continue
        defined = []
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                defined.append((item.lineno, item.name))
            elif isinstance(item, ast.Assign):
                defined += [(item.lineno, t.id) for t in item.targets if isinstance(t, ast.Name)]
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                defined.append((item.lineno, item.target.id))
        for path in bases:
            library_class = resolve(path)
            for lineno, name in defined:
                if is_private(name) and hasattr(library_class, name):
                    hits.append((lineno, f"{node.name} overrides {path}.{name}"))
    return hits


def test_no_private_names_of_the_libraries():
    files = project_files()
    trees = {path: parse(path) for path in files}
    ours = set().union(*(names_defined(tree) for tree in trees.values()))
    found = []
    for path, tree in trees.items():
        where = path.relative_to(ROOT)
        hits = private_imports(tree) + private_attributes(tree, ours) + private_overrides(tree)
        found += [f"{where}:{lineno}: {what}" for lineno, what in sorted(set(hits))]
    assert not found, "private names of libraries in use:\n" + "\n".join(found)


def test_the_check_finds_each_kind_of_private_use():
    """The rules above on a sample: each kind of use is found, public uses are not."""
    sample = ast.parse(
        "from django.db.models.query import _QuerySetIterable\n"
        "from redis._parsers import Encoder\n"
        "import celery._state\n"
        "from django.core.cache.backends.redis import RedisCache\n"
        "cache._servers[0]\n"
        "getattr(app, '_pool')\n"
        "model._meta.fields\n"
        "app._pool = None\n"
        "request._credence_gate = None\n"
        "class Cache(RedisCache):\n"
        "    def _cache(self):\n"
        "        return None\n"
    )
    imports = sorted(line for line, _ in private_imports(sample))
    assert imports == [1, 2, 3]
    ours = names_defined(sample)
    assert sorted(line for line, _ in private_attributes(sample, ours)) == [5, 6, 8]
    assert [line for line, _ in private_overrides(sample)] == [11]
