"""An ASL state's input or output that is not an object, kept in an instance's data.

Step Functions passes any JSON value from state to state (the Hello World machine's
output is the text "Hello World!"); an instance's data is always an object. A value
that is not an object is stored as ``{"$": value}`` and read back as the value, and an
object whose only key is ``$`` is stored wrapped once more, so the mapping is exact both
ways.
"""

from __future__ import annotations

from typing import Any

KEY = "$"


def stored(value: Any) -> dict[str, Any]:
    """The instance data that holds ASL value ``value``."""
    if isinstance(value, dict) and list(value) != [KEY]:
        return value
    return {KEY: value}


def view(data: Any) -> Any:
    """The ASL value that instance data ``data`` holds."""
    if isinstance(data, dict) and list(data) == [KEY]:
        return data[KEY]
    return data
