"""A JSON-LD document loader that serves only shipped contexts and documents we pass in."""

import copy
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from pyld.context_resolver import ContextResolver

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"

SHIPPED_CONTEXTS: dict[str, str] = {
    VC_V2: "credentials-v2.json",
    OB_V3P0: "ob-v3p0-context-3.0.3.json",
    OB_EXTENSIONS: "ob-v3p0-extensions.json",
}


class DocumentNotShipped(LookupError):
    """A JSON-LD processor asked for a document we do not ship: never fetched, always refused."""


@cache
def _shipped(url: str) -> dict:
    return json.loads((CONTEXTS_DIR / SHIPPED_CONTEXTS[url]).read_text(encoding="utf-8"))


class JsonLdLoader:
    """The shipped contexts plus `extra` documents (URL -> JSON), and nothing else.

    Any other URL raises `DocumentNotShipped`: a credential naming an unknown context must
    fail loudly rather than be canonicalised without it. Each loader keeps its own cache of
    resolved contexts, because pyld's default cache is process-wide and would let a context
    one loader was given leak into another loader's answers.
    """

    def __init__(self, extra: Mapping[str, dict] | None = None) -> None:
        self._extra = dict(extra or {})
        self._resolved: LRUCache = LRUCache(maxsize=64)

    def __call__(self, url: str, options: Any = None) -> dict:
        if url in self._extra:
            document = copy.deepcopy(self._extra[url])
        elif url in SHIPPED_CONTEXTS:
            document = copy.deepcopy(_shipped(url))
        else:
            raise DocumentNotShipped(f"JSON-LD document not shipped with Credence: {url}")
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": document,
            # pyld keeps resolved contexts across calls only for documents tagged static.
            "tag": "static",
        }

    def pyld_options(self) -> dict[str, Any]:
        """Options for pyld calls: this loader, and a resolver over this loader's cache."""
        return {
            "documentLoader": self,
            "contextResolver": ContextResolver(self._resolved, self),
        }


default_loader = JsonLdLoader()
