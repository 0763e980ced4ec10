"""One guarded HTTP exchange for the ``http`` and ``notify`` (webhook) action types.

:func:`send` resolves the URL's host through the SSRF guard, connects to the checked
address itself (Host header and TLS server name stay the original host, so virtual
hosting and certificate checks work), follows up to five redirects with the same check
on every hop, stops at an overall deadline and a response size cap, and turns what
happened into the action vocabulary: a :class:`Response` for 2xx, ``ThrottledError``
for 429 (with Retry-After), ``RetryableActionError`` for 408, 5xx and network errors,
``ActionTimeout`` for timeouts, ``NonRetryableActionError`` for other statuses. Proxies
from the environment are ignored (they would bypass the guard). Credentials are passed
in by the caller and scrubbed from every message this module writes. The current trace
goes along as a W3C ``traceparent`` header (docs/observability.md).
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from opentelemetry import propagate

from .base import (
    ActionTimeout,
    NonRetryableActionError,
    RetryableActionError,
    ThrottledError,
)
from .network_guard import resolve_public

MAX_REDIRECTS = 5
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "WorkflowIsland/1 (+actions)"


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    content: bytes
    url: str

    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # Building a context loads the CA bundle (tens of ms): once per process.
    return httpx.create_ssl_context()


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[secret]")
    return text


def send(
    *,
    method: str,
    url: str,
    headers: dict[str, str],
    content: bytes | None,
    timeout: float,
    allow_private_network: bool,
    secrets: tuple[str, ...] = (),
) -> Response:
    """Send one request (following redirects) and classify the outcome; see module doc."""
    deadline = time.monotonic() + timeout
    method = method.upper()
    for _hop in range(MAX_REDIRECTS + 1):
        response = _send_once(
            method, url, headers, content, deadline, allow_private_network, secrets
        )
        location = response.headers.get("location")
        if response.status not in _REDIRECTS or not location:
            return _classify(response, secrets)
        next_url = urljoin(url, location)
        if urlsplit(next_url).hostname != urlsplit(url).hostname:
            # Credentials were meant for the first host only.
            headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        if response.status == 303 or (response.status in (301, 302) and method == "POST"):
            method, content = "GET", None
            headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        url = next_url
    raise NonRetryableActionError(
        f"More than {MAX_REDIRECTS} redirects, last to {scrub(url, secrets)}.",
        code="too_many_redirects",
    )


def _send_once(
    method: str,
    url: str,
    headers: dict[str, str],
    content: bytes | None,
    deadline: float,
    allow_private_network: bool,
    secrets: tuple[str, ...],
) -> Response:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NonRetryableActionError(
            f"'{scrub(url, secrets)}' is not an http(s) URL with a host.", code="bad_url"
        )
    if parts.username or parts.password:
        raise NonRetryableActionError(
            "URLs may not carry credentials; use params.auth with a secret.", code="bad_url"
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise NonRetryableActionError("The URL's port is not a number.", code="bad_url") from None
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ActionTimeout("The HTTP action ran out of time before the request.")
    address = resolve_public(
        parts.hostname, port, allow_private_network=allow_private_network, timeout=remaining
    )[0]
    pinned_host = f"[{address}]" if address.version == 6 else str(address)
    pinned = urlunsplit((parts.scheme, f"{pinned_host}:{port}", parts.path, parts.query, ""))
    # The Host header is always the URL's own: the address was checked for that name.
    kept = {k: v for k, v in headers.items() if k.lower() != "host"}
    request_headers = {"User-Agent": USER_AGENT, **kept, "Host": parts.netloc}
    # The receiver joins the trace of the step (or webhook delivery) that calls it: W3C
    # ``traceparent``, written only when there is a span (tracing is on).
    propagate.inject(request_headers)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ActionTimeout("The HTTP action ran out of time before the request.")
    try:
        with httpx.Client(
            verify=_tls_context(),
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(remaining),
        ) as client:
            request = client.build_request(
                method,
                pinned,
                headers=request_headers,
                content=content,
                extensions={"sni_hostname": parts.hostname},
            )
            raw = client.send(request, stream=True)
            try:
                body = bytearray()
                for chunk in raw.iter_bytes():
                    body.extend(chunk)
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise NonRetryableActionError(
                            f"The response is larger than {MAX_RESPONSE_BYTES} bytes.",
                            code="response_too_large",
                        )
                    if time.monotonic() > deadline:
                        raise ActionTimeout("The response did not arrive within the timeout.")
            finally:
                raw.close()
            return Response(
                status=raw.status_code,
                headers={k.lower(): v for k, v in raw.headers.items()},
                content=bytes(body),
                url=url,
            )
    except httpx.TimeoutException as error:
        raise ActionTimeout(
            f"{method} {scrub(url, secrets)} timed out ({type(error).__name__})."
        ) from None
    except httpx.TransportError as error:
        raise RetryableActionError(
            f"{method} {scrub(url, secrets)} failed: {scrub(str(error), secrets)}",
            code="connection_error",
        ) from None
    except httpx.InvalidURL as error:
        raise NonRetryableActionError(f"Invalid URL: {error}", code="bad_url") from None


def _classify(response: Response, secrets: tuple[str, ...]) -> Response:
    status = response.status
    if 200 <= status < 300:
        return response
    excerpt = scrub(response.text()[:200], secrets)
    message = f"{scrub(response.url, secrets)} answered HTTP {status}" + (
        f": {excerpt}" if excerpt else ""
    )
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise ThrottledError(message, retry_after=retry_after, code="http_429")
    if status == 408 or status >= 500:
        raise RetryableActionError(message, code=f"http_{status}")
    raise NonRetryableActionError(message, code=f"http_{status}")
