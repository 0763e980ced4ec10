"""The API's JSON parser: every unreadable body is a 400 in the client's words, never a 500.

DRF's ``JSONParser`` turns a ``ValueError`` into a ``ParseError`` quoting Python's
message (a number of more than 4,300 digits reads "use sys.set_int_max_str_digits() to
increase the limit"), and lets the ``RecursionError`` of a body nested thousands of
levels deep escape as a server error.
"""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from workflow_platform.definitions.interchange import readable_reason


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply to read.") from None
        except ParseError as error:
            cause = error.__context__
            if isinstance(cause, ValueError):
                raise ParseError(f"JSON parse error - {readable_reason(cause)}.") from None
            raise
