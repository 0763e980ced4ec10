"""Production profile: ``DJANGO_SETTINGS_MODULE=workflow_platform.settings_production``.

Everything of settings.py, plus HTTPS-only cookies, HSTS, a required ``SECRET_KEY``
and ``DATABASE_URL``, and JSON log lines. ``manage.py check --deploy`` reports nothing with it.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .settings import *  # noqa: F403
from .settings import LOG_LEVEL, env_bool, logging_config

if not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("Production needs SECRET_KEY set in the environment.")
if not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured("Production needs DATABASE_URL (PostgreSQL).")

DEBUG = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Health probes (the orchestrator's, the container's) come over plain HTTP from inside:
# they are answered, not redirected to HTTPS (deploy/, docs/deploy.md); so is the
# Prometheus scrape of /metrics, which carries its own bearer token.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$", r"^metrics$"]
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# One JSON object per log line, for the log collector (docs/observability.md).
WORKFLOW_LOG_FORMAT = os.environ.get("WORKFLOW_LOG_FORMAT", "json").strip().lower()
LOGGING = logging_config(LOG_LEVEL, WORKFLOW_LOG_FORMAT)
