"""The API's JSON parser: a body nested too deep for Python's parser is a 400, not a 500.

DRF's ``JSONParser`` turns a ``ValueError`` into a ``ParseError`` but lets the
``RecursionError`` of a body nested thousands of levels deep escape as a server error.
"""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply to read.") from None
