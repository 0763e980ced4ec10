"""The API's JSON parser: every unreadable body is a 400 in the client's words, never a 500.

DRF's ``JSONParser`` turns a ``ValueError`` into a ``ParseError`` quoting Python's
message (a number of more than 4,300 digits reads "use sys.set_int_max_str_digits() to
increase the limit"), lets the ``RecursionError`` of a body nested thousands of
levels deep escape as a server error, and silently keeps the last of a key given twice
and turns ``1e-400`` into 0. Bodies are read as the definition import reads documents.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from workflow_platform.definitions.interchange import read_json, readable_reason


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return read_json(stream.read().decode(encoding))
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply to read.") from None
        except UnicodeDecodeError:
            raise ParseError(f"JSON parse error - the body is not {encoding} text.") from None
        except ValueError as error:  # JSONDecodeError included
            raise ParseError(f"JSON parse error - {readable_reason(error)}.") from None
