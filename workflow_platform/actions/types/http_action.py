"""The ``http`` action type: one HTTP request, templated from the instance's data.

Params (docs/actions.md): ``method`` (GET), ``url``, ``headers``, ``query``, ``body``
(object/list sent as JSON, text as is), ``auth`` (``{"bearer_secret": name}``,
``{"basic_secret": name, "username": ...}`` or ``{"header": name, "secret": name}``),
``output`` (``"body"``, the default, or ``"response"`` for status, headers and body) and
``pending_when`` (an expression over ``result`` that marks an async job as not finished,
for wait-state polls). Every request carries ``Idempotency-Key``. Secrets are revealed
only here, only for headers, and scrubbed from the output and every message.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from workflow_platform.definitions.conditions import (
    ConditionError,
    evaluate_condition,
    format_value,
)
from workflow_platform.definitions.field_rules import URL_SCHEMES

from ..base import ActionCall, ActionResult, NonRetryableActionError, timeout_seconds
from ..http_client import Response, scrub, send
from ..registry import register_action_type
from ..services import reveal_secret
from ..templating import (
    check_url_length,
    render_text,
    render_url,
    render_value,
    template_names,
)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_SECRET_REFERENCE = re.compile(
    r"secrets\s*(?:\.\s*([A-Za-z_]\w*)|\[\s*['\"]([A-Za-z_]\w*)['\"]\s*\])"
)


@register_action_type("http")
def run_http(call: ActionCall) -> ActionResult:
    params = call.action.params
    method = str(params.get("method", "GET")).upper()
    if method not in METHODS:
        raise NonRetryableActionError(
            f"params.method '{method}' is not one of {', '.join(METHODS)}.", code="bad_params"
        )
    names = template_names(call)
    url = _with_query(render_url(params.get("url"), names), params.get("query"), names)
    require_http_url(url)
    secrets: dict[str, str] = {}
    headers = _headers(call, params, names, secrets)
    content = _body(params, names, headers)
    revealed = tuple(secrets.values())
    response = send(
        method=method,
        url=url,
        headers=headers,
        content=content,
        timeout=timeout_seconds(call),
        allow_private_network=call.allow_private_network,
        secrets=revealed,
    )
    body = _scrubbed(parse_body(response), revealed)
    output: Any = body
    if params.get("output") == "response":
        output = {
            "status": response.status,
            "headers": _scrubbed(response.headers, revealed),
            "body": body,
        }
    return ActionResult(output=output, pending=_pending(params, body, names))


def require_http_url(url: str) -> None:
    """Refuse a filled URL that is not http(s), before any secret is revealed.

    Validation refuses other schemes written in the definition; a URL whose start comes
    from a placeholder is known only now (``{{ data.callback }}`` holding ``file:///``).
    The http client checks again before it connects.
    """
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme not in URL_SCHEMES:
        raise NonRetryableActionError(
            f"params.url is a {scheme or 'scheme-less'} URL once filled; only http:// and "
            "https:// URLs can be called.",
            code="bad_url",
        )


def parse_body(response: Response) -> Any:
    """The response body as JSON when it is JSON, else as text (None when empty)."""
    if not response.content:
        return None
    content_type = response.headers.get("content-type", "")
    text = response.text()
    if "json" in content_type or text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def _with_query(url: str, query: Any, names: dict[str, Any]) -> str:
    if not query:
        return url
    if not isinstance(query, dict):
        raise NonRetryableActionError("params.query must be an object.", code="bad_params")
    values = render_value(query, names, where="params.query")
    pairs = [(k, format_value(v)) for k, v in values.items()]
    parts = urlsplit(url)
    joined = "&".join(filter(None, [parts.query, urlencode(pairs)]))
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, joined, parts.fragment))
    return check_url_length(url, where="params.url with params.query")


def _headers(
    call: ActionCall, params: dict[str, Any], names: dict[str, Any], secrets: dict[str, str]
) -> dict[str, str]:
    raw = params.get("headers") or {}
    if not isinstance(raw, dict):
        raise NonRetryableActionError("params.headers must be an object.", code="bad_params")
    for template in raw.values():
        placeholders = " ".join(_PLACEHOLDER.findall(str(template)))
        for match in _SECRET_REFERENCE.finditer(placeholders):
            name = match.group(1) or match.group(2)
            if name not in secrets:
                secrets[name] = reveal_secret(tenant_id=call.tenant_id, name=name)
    header_names = {**names, "secrets": dict(secrets)}
    headers = {
        str(key): render_text(value, header_names, where=f"params.headers.{key}")
        for key, value in raw.items()
    }
    headers.update(_auth(call, params.get("auth"), secrets))
    for key, value in headers.items():
        if any(c in f"{key}{value}" for c in "\r\n\0"):
            # Data must not be able to inject headers or split the request.
            raise NonRetryableActionError(
                f"The header '{key}' would contain a line break.", code="bad_header"
            )
    # Set last so a definition cannot drop it: the dependency deduplicates on it.
    headers["Idempotency-Key"] = call.idempotency_key
    return headers


def _auth(call: ActionCall, auth: Any, secrets: dict[str, str]) -> dict[str, str]:
    if not auth:
        return {}
    if not isinstance(auth, dict):
        raise NonRetryableActionError("params.auth must be an object.", code="bad_params")

    def value(name: Any) -> str:
        if not isinstance(name, str):
            raise NonRetryableActionError("params.auth names a secret by text.", code="bad_params")
        secrets[name] = reveal_secret(tenant_id=call.tenant_id, name=name)
        return secrets[name]

    if "bearer_secret" in auth:
        return {"Authorization": f"Bearer {value(auth['bearer_secret'])}"}
    if "basic_secret" in auth:
        pair = f"{auth.get('username', '')}:{value(auth['basic_secret'])}"
        encoded = base64.b64encode(pair.encode()).decode()
        secrets["basic auth"] = encoded  # scrubbed too: an echo would show this form
        return {"Authorization": "Basic " + encoded}
    if "header" in auth and "secret" in auth:
        return {str(auth["header"]): value(auth["secret"])}
    raise NonRetryableActionError(
        "params.auth takes bearer_secret, basic_secret (+ username) or header + secret.",
        code="bad_params",
    )


def _body(params: dict[str, Any], names: dict[str, Any], headers: dict[str, str]) -> bytes | None:
    if params.get("body") is None:
        return None
    body = render_value(params["body"], names, where="params.body")
    has_type = any(key.lower() == "content-type" for key in headers)
    if isinstance(body, str):
        if not has_type:
            headers["Content-Type"] = "text/plain; charset=utf-8"
        return body.encode()
    if not has_type:
        headers["Content-Type"] = "application/json"
    return json.dumps(body, default=str).encode()


def _scrubbed(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` with every revealed secret replaced (an echoing server must not leak it)."""
    if not secrets:
        return value
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {scrub(str(k), secrets): _scrubbed(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, secrets) for v in value]
    return value


def _pending(params: dict[str, Any], body: Any, names: dict[str, Any]) -> bool:
    expression = params.get("pending_when")
    if not expression:
        return False
    try:
        return bool(evaluate_condition(expression, {**names, "result": body}))
    except ConditionError as error:
        raise NonRetryableActionError(
            f"Its pending_when check ({expression[:80]}) could not be computed: {error}",
            code="template_failed",
        ) from None
