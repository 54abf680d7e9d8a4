"""The API's JSON parser: DRF's, plus the two inputs that would otherwise end in a 500."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# An escaped lone surrogate ("\ud800") decodes to a str that cannot be encoded as UTF-8:
# PostgreSQL, the JSON renderer (even of the 400 naming the field) and logs would all fail.
_SURROGATE = re.compile("[\ud800-\udfff]")


def contains_lone_surrogate(data: Any) -> bool:
    """True when a string anywhere in ``data`` (keys included) holds a UTF-16 surrogate.

    Iterative, so a document as deep as the decoder allows cannot exhaust the stack here.
    """
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class JSONParser(parsers.JSONParser):
    """Every malformed document is a ParseError (400), never an unhandled exception.

    DRF's parser turns ``ValueError`` into a 400, but deeply nested arrays or objects
    make the decoder raise ``RecursionError``, and escaped lone surrogates decode
    without complaint; both are refused here.
    """

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
        if contains_lone_surrogate(data):
            raise ParseError(
                "JSON parse error - a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), "
                "which is not a Unicode character."
            )
        return data
