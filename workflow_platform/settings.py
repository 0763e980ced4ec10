"""Settings for Workflow Island, read from the environment in this one module.

Every variable is optional. Unset, the platform runs on the *embedded default*: SQLite
for the database, kombu's SQLAlchemy transport on SQLite for Celery, and database rows
relayed to an in-process channel layer for live notifications (see
docs/adr/0001-embedded-transports.md). Set ``DATABASE_URL`` and ``REDIS_URL`` and the
same code runs on PostgreSQL (psycopg 3) and Redis. docs/configuration.md lists every
variable with its default.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# Where the embedded mode keeps its files (SQLite databases, beat schedule, keys).
VAR_DIR = Path(os.environ.get("WORKFLOW_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
# The embedded default generates a key once per checkout, kept out of the repository.
_key_file = VAR_DIR / "secret_key"
SECRET_KEY = os.environ.get("SECRET_KEY") or ""
if not SECRET_KEY:
    if not _key_file.exists():
        import secrets

        _key_file.write_text(secrets.token_urlsafe(50))
    SECRET_KEY = _key_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "workflow_platform.admin_site.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files: no CDN
    "django_htmx",
    "channels",
    "csp",
    "axes",  # sign-in lockout after repeated failures (docs/configuration.md)
    "workflow_platform.tenancy",
    "workflow_platform.definitions",
    "workflow_platform.engine",
    "workflow_platform.actions",
    "workflow_platform.worklist",
    "workflow_platform.webhooks",
    "workflow_platform.api",
    "workflow_platform.operations",
    "workflow_platform.observability",
    "workflow_platform.runtime",
    "designer",
    "tasks_inbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but one: every answer gets the policy, the 503 and 500 pages included.
    "workflow_platform.web_security.ContentSecurityPolicyMiddleware",
    # Outermost after security: a page whose backend is down answers 503, not 500.
    "workflow_platform.api.middleware.BackendUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "workflow_platform.tenancy.middleware.CurrentTenantMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "workflow_platform.web_security.MethodNotAllowedPageMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "workflow_platform.urls"
WSGI_APPLICATION = "workflow_platform.wsgi.application"
ASGI_APPLICATION = "workflow_platform.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workflow_platform.tenancy.context_processors.tenancy",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
EMBEDDED = not DATABASE_URL
# Web processes borrow PostgreSQL connections from a bounded pool (asgi.py and wsgi.py turn
# it on), so web, workers and scheduler together stay inside a budget
# (docs/adr/0013-bounded-database-connections.md, docs/observability.md): a request that
# finds the pool empty waits WORKFLOW_DB_POOL_TIMEOUT seconds, then is answered 503 with
# Retry-After. Workers and the scheduler keep one persistent connection per thread that
# uses the database: those threads are few and fixed, so they are bounded already.
WORKFLOW_DB_POOL_SIZE = int(os.environ.get("WORKFLOW_DB_POOL_SIZE", "0"))
WORKFLOW_DB_POOL_TIMEOUT = float(os.environ.get("WORKFLOW_DB_POOL_TIMEOUT", "5"))
WORKFLOW_BACKEND_RETRY_AFTER = int(os.environ.get("WORKFLOW_BACKEND_RETRY_AFTER", "5"))
if DATABASE_URL:
    pooled = WORKFLOW_DB_POOL_SIZE > 0
    # Pooled: conn_max_age 0 (the pool keeps the connections; Django refuses both) and a
    # health check when one is lent, so one PostgreSQL dropped is replaced, not failed.
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=0 if pooled else 60, conn_health_checks=pooled
        )
    }
    if pooled:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 0,
            "max_size": WORKFLOW_DB_POOL_SIZE,
            "timeout": WORKFLOW_DB_POOL_TIMEOUT,
            "max_idle": 60,
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "platform.sqlite3",
            "OPTIONS": {
                # WAL lets the web process read while a worker writes; IMMEDIATE takes the
                # write lock at BEGIN so two writers queue instead of failing mid-transaction.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, Celery and Channels -----------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = (
    os.environ.get("CELERY_BROKER_URL")
    or REDIS_URL
    or f"wisqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}"  # embedded_broker.py
)
# The cache holds the API's per-token throttle counts: shared in Redis when configured.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
CHANNEL_LAYER_URL = os.environ.get("CHANNEL_LAYER_URL") or REDIS_URL
if CHANNEL_LAYER_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # channels_redis blocks up to 5 s on each receive, and redis-py 8 times a read
            # out after 5 s by default: an idle websocket's consumer would die. Longer reads.
            "CONFIG": {"hosts": [{"address": CHANNEL_LAYER_URL, "socket_timeout": 30}]},
        }
    }
else:
    # Embedded: notifications are rows relayed into this in-process layer by the web
    # process (docs/adr/0001-embedded-transports.md).
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The longest an action may run; the broker's visibility timeout must exceed it so a
# message is not redelivered while its action is still running.
WORKFLOW_MAX_ACTION_TIMEOUT = int(os.environ.get("WORKFLOW_MAX_ACTION_TIMEOUT", "300"))
# A claimed poll of an async action is held this long beyond its timeout before another
# poller may take it (its poller died), docs/resilience.md.
WORKFLOW_POLL_LEASE_MARGIN = float(os.environ.get("WORKFLOW_POLL_LEASE_MARGIN", "30"))
# A worker starts no further action of its batch after this many seconds; the rest is
# handed to another message, so no message runs longer than this plus one action.
WORKFLOW_BATCH_SECONDS = float(os.environ.get("WORKFLOW_BATCH_SECONDS", "60"))

# Where per-dependency limits (rate limit, breaker, bulkhead) keep their shared state:
# "redis" or "database"; unset, Redis when REDIS_URL is set (docs/limits.md).
WORKFLOW_LIMITS_BACKEND = os.environ.get("WORKFLOW_LIMITS_BACKEND", "")
# Who a new human task goes to: dotted path of route(task, spec) -> RoutingDecision.
# The worklist's default router adds least-loaded, skill and text rules to the plain
# spec (routing.route_by_spec) and skips members who are away (docs/inbox.md).
WORKFLOW_TASK_ROUTER = os.environ.get(
    "WORKFLOW_TASK_ROUTER", "workflow_platform.worklist.rules.route"
)
# More modules whose @register_callable functions python actions may name, imported
# after the built-in ones. The test suites and bench/ list the test callables
# (workflow_platform.actions.testing_callables: noop, fail, flaky); tenants never see
# them otherwise.
WORKFLOW_CALLABLE_MODULES = env_list("WORKFLOW_CALLABLE_MODULES", [])
# Email assignees when a task is assigned to them or escalated (tasks_inbox/notifications.py).
WORKFLOW_INBOX_EMAILS = env_bool("WORKFLOW_INBOX_EMAILS", False)
# A bearer token Prometheus sends to /metrics; unset: loopback and superusers only.
WORKFLOW_METRICS_TOKEN = os.environ.get("WORKFLOW_METRICS_TOKEN", "")
# Where people reach the platform; links in inbox emails start with it.
WORKFLOW_SITE_URL = os.environ.get("WORKFLOW_SITE_URL", "http://localhost:8000")
# Mail (notify actions, inbox emails): SMTP when EMAIL_HOST is set; otherwise the embedded
# default writes each message as a file under $WORKFLOW_VAR_DIR/mail (no server needed).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "workflows@localhost")
# Engine leases: how long a worker owns the instances it claimed (renewed while it works;
# an expired lease is taken over from the last commit), and how many it claims at once.
WORKFLOW_LEASE_SECONDS = float(os.environ.get("WORKFLOW_LEASE_SECONDS", "30"))
WORKFLOW_CLAIM_BATCH = int(os.environ.get("WORKFLOW_CLAIM_BATCH", "50"))
# An instance whose worker died this many times in a row before it committed (a poison
# step: an action that ends its process or exhausts memory) fails with an incident.
WORKFLOW_MAX_LOST_LEASES = int(os.environ.get("WORKFLOW_MAX_LOST_LEASES", "3"))
# Timers due within this many seconds also wake the timer sweep at their due time
# (engine/dispatch.py); 0 leaves every timer to beat's once-a-second sweep.
WORKFLOW_TIMER_WAKE_HORIZON = float(os.environ.get("WORKFLOW_TIMER_WAKE_HORIZON", "10"))

# Celery settings for durable work: a message is acknowledged only after its task ran
# (late acks), a worker holds one message at a time (prefetch 1), JSON only. The
# database stays the truth; a lost or duplicate message is harmless (see engine/).
CELERY_TASK_ACKS_LATE = True
# The hard time limit: the pool process of a task running longer is killed (a hung C
# call, a deadlock, an action that holds the interpreter). No healthy task comes near it
# (see WORKFLOW_BATCH_SECONDS); its instances are taken over when their lease expires.
CELERY_TASK_TIME_LIMIT = float(
    os.environ.get(
        "WORKFLOW_TASK_TIME_LIMIT", WORKFLOW_BATCH_SECONDS + WORKFLOW_MAX_ACTION_TIMEOUT + 60
    )
)
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# RabbitMQ, the production broker (docs/deploy.md): celery.py declares the queues as
# quorum queues (replicated, durable), the publisher waits for the broker's confirm of
# each message, and a consumer holding an unacknowledged message longer than the
# consumer timeout loses its channel (the message goes to another worker). The timeout
# must outlast the hard time limit: a late-acked task holds its message while it runs.
BROKER_IS_AMQP = CELERY_BROKER_URL.split("://", 1)[0] in ("amqp", "amqps", "pyamqp")
WORKFLOW_AMQP_CONSUMER_TIMEOUT = float(os.environ.get("WORKFLOW_AMQP_CONSUMER_TIMEOUT", "1800"))
if BROKER_IS_AMQP and WORKFLOW_AMQP_CONSUMER_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"WORKFLOW_AMQP_CONSUMER_TIMEOUT ({WORKFLOW_AMQP_CONSUMER_TIMEOUT:g} s) must exceed "
        f"the task time limit ({CELERY_TASK_TIME_LIMIT:g} s)."
    )
# Redis redelivers an unacknowledged message after the visibility timeout; RabbitMQ
# redelivers when the consumer's channel closes, and confirms each publish.
if CELERY_BROKER_URL.startswith("wisqla+"):
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
elif BROKER_IS_AMQP:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": WORKFLOW_MAX_ACTION_TIMEOUT * 4}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Auth, sessions, security -------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Sign-in lockout (django-axes, docs/configuration.md): after WORKFLOW_SIGNIN_FAILURE_LIMIT
# wrong passwords for one username from one address, that pair is refused (even with the
# right password) for WORKFLOW_SIGNIN_COOLOFF_MINUTES; each failure and lockout is kept in
# axes' access tables (admin: "Axes"). `manage.py axes_reset_username NAME` lifts it early.
# API tokens are not passwords: bearer requests never pass through authenticate().
AUTHENTICATION_BACKENDS = [
    "workflow_platform.web_security.SignInLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("WORKFLOW_SIGNIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(
    minutes=float(os.environ.get("WORKFLOW_SIGNIN_COOLOFF_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "workflow_platform.web_security.locked_out"
# The client's address is REMOTE_ADDR: a client cannot pick it with X-Forwarded-For.
# Behind reverse proxies that append to that header, WORKFLOW_SIGNIN_PROXY_COUNT says how
# many to trust (web_security.client_address).
WORKFLOW_SIGNIN_PROXY_COUNT = int(os.environ.get("WORKFLOW_SIGNIN_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "workflow_platform.web_security.client_address"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Key for secrets encrypted at rest (action credentials). Derived from SECRET_KEY when
# unset so the embedded mode needs nothing; production should set its own.
WORKFLOW_SECRETS_KEY = os.environ.get("WORKFLOW_SECRETS_KEY", "")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it even when empty
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "workflow_platform.api.schema.PlatformAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "workflow_platform.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "workflow_platform.api.exceptions.problem_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "workflow_platform.api.pagination.PlatformCursorPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["workflow_platform.api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["workflow_platform.api.parsers.BoundedJSONParser"],
    # ?format= is a query parameter of our own (exports), not a renderer override.
    "URL_FORMAT_OVERRIDE": None,
}
# Requests per API token (api/throttling.py); more get 429 with Retry-After.
WORKFLOW_API_RATE = os.environ.get("WORKFLOW_API_RATE", "1200/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Workflow Island API",
    "DESCRIPTION": "Design, run and operate durable workflows. Errors are RFC 9457 "
    "problem details; lists are cursor-paginated; see docs/api.md.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "DEFAULT_GENERATOR_CLASS": "workflow_platform.api.schema.PlatformSchemaGenerator",
    "ENUM_NAME_OVERRIDES": {
        "WebhookEventEnum": "workflow_platform.webhooks.models.WebhookEvent",
        "DeliveryStatusEnum": "workflow_platform.webhooks.models.DeliveryStatus",
        "InstanceStatusEnum": "workflow_platform.engine.models.Status",
        "TaskStatusEnum": "workflow_platform.worklist.models.TaskStatus",
        "VersionStatusEnum": "workflow_platform.definitions.models.VersionStatus",
        "RoleEnum": "workflow_platform.tenancy.models.Role",
    },
}

# Content-Security-Policy on every answer (django-csp; docs/adr/0014-content-security-policy.md).
# Scripts and styles only from our own static files: no inline script, no inline style,
# no eval. The nonce is in the header only of a page that uses one (the API's Swagger
# page, whose template sets its options inline). connect-src also gets the request's own
# host as ws:/wss: (web_security.py), which older browsers do not read into 'self'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")


def logging_config(level: str, output: str) -> dict:
    """Every log line through one structured formatter: ``json`` lines or ``console``
    lines, with the step's tenant, instance and step and the trace and span ids
    (workflow_platform/observability/logs.py; Celery's handlers get it in celery.py)."""
    if output not in ("json", "console"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"WORKFLOW_LOG_FORMAT is json or console, not {output!r}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": "workflow_platform.observability.logs.formatter",
                "output": output,
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }


# Readable lines by default (./run); settings_production.py defaults to json.
WORKFLOW_LOG_FORMAT = os.environ.get("WORKFLOW_LOG_FORMAT", "console").strip().lower()
LOGGING = logging_config(LOG_LEVEL, WORKFLOW_LOG_FORMAT)
