"""Placeholders in action params, filled from the call at run time.

Action params may hold ``{{ expression }}`` placeholders in the guard language of
``definitions.conditions`` (one implementation for the whole platform). A string that
is exactly one placeholder keeps the value's type (``"{{ data.total }}"`` stays a
number, a list stays a list), so JSON bodies and ``set`` values are not flattened to
text; any other string is rendered as text. In URLs the values of placeholders are
percent-encoded, except one at the very start, which may supply the scheme and host
(the SSRF guard checks the result either way). A placeholder that does not evaluate is
a :class:`NonRetryableActionError`: retrying the same data gives the same failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from workflow_platform.definitions.conditions import (
    ConditionError,
    evaluate_condition,
    format_value,
    parse_template,
    render_template,
)

from .base import ActionCall, NonRetryableActionError

_WHOLE = re.compile(r"^\s*\{\{(.*?)\}\}\s*$", re.DOTALL)
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
# What common servers and proxies accept in a request line; longer is refused before
# any connection, so data cannot grow a request without bound.
MAX_URL_LENGTH = 8192


class _SecretsOnlyInHeaders(Mapping):
    """``secrets`` outside headers: a clear refusal instead of "unknown name"."""

    def __getitem__(self, key: Any) -> Any:
        raise ConditionError(
            "secrets can only be used in params.headers and params.auth, where they are "
            "sent and never stored",
            code="condition_failed",
        )

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def template_names(call: ActionCall) -> dict[str, Any]:
    """The root names a placeholder may use: ``data`` and ``instance`` (``secrets`` only
    in the headers of the http type, which adds them there)."""
    return {
        "secrets": _SecretsOnlyInHeaders(),
        "data": call.data,
        "instance": {
            "id": call.instance_id,
            "step": call.step,
            "attempt": call.attempt,
            "idempotency_key": call.idempotency_key,
        },
    }


def render_value(value: Any, names: dict[str, Any], *, where: str = "params") -> Any:
    """``value`` with every placeholder in its strings filled (recursively)."""
    if isinstance(value, str):
        try:
            whole = _WHOLE.match(value)
            if whole and "{{" not in whole.group(1):
                return evaluate_condition(whole.group(1), names)
            if "{{" not in value:
                return value
            return render_template(value, names)
        except ConditionError as error:
            raise _failed(where, error) from None
    if isinstance(value, dict):
        return {
            key: render_value(item, names, where=f"{where}.{key}") for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [render_value(item, names, where=f"{where}[{i}]") for i, item in enumerate(value)]
    return value


def render_text(value: Any, names: dict[str, Any], *, where: str) -> str:
    """A text param (subject, header) rendered as text."""
    if not isinstance(value, str):
        raise NonRetryableActionError(f"{where} must be text.", code="bad_params")
    try:
        return render_template(value, names) if "{{" in value else value
    except ConditionError as error:
        raise _failed(where, error) from None


def render_url(text: Any, names: dict[str, Any], *, where: str = "params.url") -> str:
    if not isinstance(text, str) or not text.strip():
        raise NonRetryableActionError(f"{where} must be a non-empty URL.", code="bad_params")
    try:
        parse_template(text)

        def fill(match: re.Match) -> str:
            filled = format_value(evaluate_condition(match.group(1), names))
            return filled if match.start() == 0 else quote(filled, safe="")

        return check_url_length(_PLACEHOLDER.sub(fill, text).strip(), where=where)
    except ConditionError as error:
        raise _failed(where, error) from None


def check_url_length(url: str, *, where: str = "params.url") -> str:
    if len(url) > MAX_URL_LENGTH:
        raise NonRetryableActionError(
            f"{where} is {len(url):,} characters once filled; at most {MAX_URL_LENGTH:,}.",
            code="bad_params",
        )
    return url


def _failed(where: str, error: ConditionError) -> NonRetryableActionError:
    return NonRetryableActionError(
        f"Could not fill the placeholders of {where}: {error}", code="template_failed"
    )
