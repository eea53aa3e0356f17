"""Bounds on the JSON-LD work a presented credential may ask for, checked before canonicalising.

RDFC-1.0 (URDNA2015) is cheap for the credentials we issue and exponential for graphs whose
blank nodes look alike: a node with eight identical blank children, twice over, already
takes pyld seconds (docs/performance.md). pyld has no work limit, so anything a
stranger uploads is measured here first: only the contexts we ship, a bounded JSON size
and depth, and few blank nodes, none named (`_:x` labels let a document draw any graph).
Counting happens on the expanded form, which pyld builds in time linear in the document
(its contexts are ours, and cached), so aliases and type-scoped contexts cannot hide a node.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

from pyld import jsonld

from .document_loader import CONTEXTS_DIR, SHIPPED_CONTEXTS, JsonLdLoader, default_loader

# One of our credentials holds about 60 JSON values, four levels deep, with four blank
# nodes (subject, identifier, criteria, proof), none with more than one blank child.
MAX_JSON_VALUES = 2_000
MAX_JSON_DEPTH = 16
MAX_BLANK_NODES = 12
MAX_BLANK_CHILDREN = 4


class TooMuchJsonLdWork(ValueError):
    """The document would take more JSON-LD work than a badge credential; the message says why."""


def check_presented_document(document: dict, loader: JsonLdLoader = default_loader) -> list:
    """Raise `TooMuchJsonLdWork` unless `document` is cheap to canonicalise; return it expanded.

    Nothing here canonicalises: the checks run in order of cost, and each bounds the next.
    """
    _check_contexts(document)
    _check_size(document)
    try:
        expanded = jsonld.expand(document, loader.pyld_options())
    except jsonld.JsonLdError:
        raise TooMuchJsonLdWork("The credential could not be read as JSON-LD.") from None
    _check_blank_nodes(expanded)
    return expanded


def _check_contexts(document: dict) -> None:
    contexts = document.get("@context")
    listed = contexts if isinstance(contexts, list) else [contexts]
    unknown = [c for c in listed if not isinstance(c, str) or c not in SHIPPED_CONTEXTS]
    if not listed or unknown:
        raise TooMuchJsonLdWork(
            "The credential names a JSON-LD context this issuer does not use "
            f"({_describe(unknown[0] if unknown else None)}); only "
            + ", ".join(SHIPPED_CONTEXTS)
            + " are accepted."
        )


def _describe(context: Any) -> str:
    return context[:200] if isinstance(context, str) else "an inline context"


def _check_size(document: dict) -> None:
    """Count every JSON value without recursion (a deep document must not crash the count)."""
    count = 0
    stack: list[tuple[Any, int, bool]] = [(document, 1, True)]
    while stack:
        value, depth, top = stack.pop()
        count += 1
        if count > MAX_JSON_VALUES:
            raise TooMuchJsonLdWork(
                f"The credential holds more than {MAX_JSON_VALUES} JSON values; "
                "a badge credential holds about sixty."
            )
        if depth > MAX_JSON_DEPTH:
            raise TooMuchJsonLdWork(
                f"The credential nests deeper than {MAX_JSON_DEPTH} levels; "
                "a badge credential nests four."
            )
        if isinstance(value, dict):
            if not top and "@context" in value:
                raise TooMuchJsonLdWork(
                    "The credential carries an embedded JSON-LD context; this issuer's never do."
                )
            stack.extend((item, depth + 1, False) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1, False) for item in value)


@cache
def _list_terms() -> frozenset[str]:
    """Expanded IRIs of terms the shipped contexts declare as lists (each item a blank node)."""
    terms: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("@container") == "@list" and isinstance(value.get("@id"), str):
                terms.add(value["@id"])
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    for filename in SHIPPED_CONTEXTS.values():
        visit(json.loads((CONTEXTS_DIR / filename).read_text(encoding="utf-8")))
    return frozenset(terms)


def _is_node(value: Any) -> bool:
    return isinstance(value, dict) and not ({"@value", "@list", "@set"} & value.keys())


def _children(node: dict) -> Iterator[Any]:
    """Every value directly under a node object, lists and sets unwrapped one level."""
    for key, values in node.items():
        if key in ("@id", "@type", "@context"):
            continue
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, dict) and ("@list" in value or "@set" in value):
                yield from value.get("@list", value.get("@set")) or []
            else:
                yield value


def _check_blank_nodes(expanded: list) -> None:
    blank = 0
    stack: list[Any] = list(expanded)
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
            continue
        if not isinstance(value, dict):
            continue
        if isinstance(value.get("@list"), list):
            # RDF lists are chains of blank nodes, one per item.
            blank += len(value["@list"])
        if _is_node(value):
            label = value.get("@id")
            if isinstance(label, str) and label.startswith("_:"):
                raise TooMuchJsonLdWork(
                    "The credential names a blank node (an id starting with '_:'); "
                    "this issuer's credentials never do."
                )
            if label is None:
                blank += 1
            children = [item for item in _children(value) if _is_node(item)]
            if sum(1 for child in children if "@id" not in child) > MAX_BLANK_CHILDREN:
                raise TooMuchJsonLdWork(
                    f"A node of the credential has more than {MAX_BLANK_CHILDREN} anonymous "
                    "children; a badge credential has at most one per node."
                )
        if blank > MAX_BLANK_NODES:
            raise TooMuchJsonLdWork(
                f"The credential has more than {MAX_BLANK_NODES} anonymous (blank) nodes; "
                "a badge credential has five."
            )
        stack.extend(item for item in value.values() if isinstance(item, list | dict))
