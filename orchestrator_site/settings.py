"""Settings for Project Orchestrator: one module, configured from the environment.

Every variable is listed in the README's configuration table. Secrets may be
given directly or as ``NAME_FILE`` pointing at a mounted file (Kubernetes
secrets).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from orchestration.metric_names import PATTERN_ANALYSIS, RUN_NAME
from perfmetrics.releases import detect_release

from .logs import logging_config

# Typed generics at run time: ``admin.ModelAdmin[Run]`` and friends.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    value = env(name, default).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def envint(name: str, default: str) -> int:
    value = env(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def envfloat(name: str, default: str) -> float:
    value = env(name, default)
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None


def envsecret(name: str) -> str:
    """Read ``name`` or, when ``name_FILE`` is set, the file it points at."""
    path = env(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return env(name)


def database_from_url(url: str) -> dict[str, object]:
    """Translate ``postgres://user:pass@host:port/name?opt=val`` into a DATABASES entry.

    A ``host`` query parameter (a Unix socket directory) overrides the netloc host.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL must be a postgres:// URL, got scheme {parts.scheme!r}"
        )
    options = dict(parse_qsl(parts.query))
    host = options.pop("host", None) or unquote(parts.hostname or "")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "postgres",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(parts.port or ""),
        "OPTIONS": options,
    }


DEBUG = envbool("DJANGO_DEBUG", "false")

SECRET_KEY = envsecret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-DJANGO_DEBUG"

ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h]
# Kubernetes probes and Prometheus address a pod by its IP; the Deployment sets POD_IP.
if _pod_ip := env("POD_IP"):
    ALLOWED_HOSTS.append(f"[{_pod_ip}]" if ":" in _pod_ip else _pod_ip)
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "orchestrator_site.apps.OrchestratorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "perfmetrics",
    "orchestration",
    "orchestrator_site",
    # Background work (docs/design.md §6, "Background work"): jobs, periodic tasks and
    # workers coordinated through this same PostgreSQL database.
    "procrastinate.contrib.django",
]

MIDDLEWARE = [
    "orchestrator_site.request_id.RequestIdMiddleware",
    # Right after the request id, so a request's duration covers every other middleware;
    # removes itself when PERFMETRICS_HTTP_METRICS is off.
    "perfmetrics.http_metrics.HttpMetricsMiddleware",
    # Keeps an incoming W3C traceparent for the run's trace; removes itself without tracing.
    "perfmetrics.trace_context.TraceContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything that may read the body: oversized requests are refused unread.
    "orchestrator_site.guards.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "orchestrator_site.urls"
WSGI_APPLICATION = "orchestrator_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_database_url = env("DATABASE_URL")
if not _database_url:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. `make run` and `make test` start an embedded PostgreSQL "
        "(python -m orchestrator_site.devdb exec -- <command>); otherwise export "
        "DATABASE_URL=postgres://user:password@host:5432/dbname."
    )
DATABASES = {"default": database_from_url(_database_url)}
DATABASES["default"]["CONN_MAX_AGE"] = envint("DB_CONN_MAX_AGE", "60")
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Fail fast while the database is down or unreachable (docs/operations.md, "When the
# database is down"); a connect_timeout in DATABASE_URL's query wins.
_db_options: dict[str, object] = DATABASES["default"]["OPTIONS"]  # type: ignore[assignment]
_db_options.setdefault("connect_timeout", envint("DB_CONNECT_TIMEOUT", "3"))
if _statement_timeout_ms := envint("DB_STATEMENT_TIMEOUT_MS", "0"):
    _db_options["options"] = (
        f"{_db_options.get('options', '')} -c statement_timeout={_statement_timeout_ms}".strip()
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# whitenoise serves STATIC_ROOT. Hashed, compressed names need `collectstatic` first (the
# image build runs it and sets STATIC_MANIFEST); checkouts and tests use the plain files.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if envbool("STATIC_MANIFEST", "false")
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Security. TLS terminates at the ingress, which sets X-Forwarded-Proto; trust it only
# when SECURE_PROXY_SSL_HEADER says the service is reachable through such a proxy alone.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("SECURE_PROXY_SSL_HEADER", "false") else None
)
# Off by default (see SILENCED_SYSTEM_CHECKS). When on, probes and scrapes stay plain HTTP.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "false")
SECURE_REDIRECT_EXEMPT = [r"^health(/ready)?$", r"^metrics$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", "false" if DEBUG else "true")
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", "false" if DEBUG else "true")
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [
    # security.W008 (SECURE_SSL_REDIRECT off): TLS ends at the ingress, which redirects
    # HTTP to HTTPS. Pods serve no TLS, so redirecting in-cluster plain-HTTP callers
    # (probes, Prometheus, other services) would only break them.
    "security.W008",
    # security.W021 (SECURE_HSTS_PRELOAD off): joining browsers' preload lists binds the
    # whole domain for months; the domain's owner opts in with SECURE_HSTS_PRELOAD.
    "security.W021",
]

# Request bodies: 1 MiB holds the largest bulk POST, 500 tasks, even with 300-character
# titles and 1,000-character descriptions (682,000 bytes). Larger declared bodies get 413
# unread (orchestrator_site/guards.py); Django's own limit, for the bodies it reads
# itself (forms), is the same.
API_MAX_BODY_BYTES = envint("API_MAX_BODY_BYTES", str(1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "orchestrator_site.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["orchestrator_site.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "orchestrator_site.pagination.DefaultPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "orchestrator_site.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "orchestrator_site.handlers.exception_handler",
    "PAGE_SIZE": 50,
}

SPECTACULAR_SETTINGS = {
    # /api/docs/ loads Swagger UI from our static files (no CDN, works offline).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TITLE": "Project Orchestrator API",
    "DESCRIPTION": "Scrum orchestration for software projects, measured while it runs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema maps every endpoint and parameter: it needs a token (or an admin
    # session, which is how a browser reaches /api/docs/) like the API it describes.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Two different choice sets are both called "source"; name each schema enum.
    "ENUM_NAME_OVERRIDES": {
        "RunSourceEnum": "perfmetrics.models.Source",
        "DecisionConfigSourceEnum": "orchestration.selectors.DecisionConfigSource",
        "ActionItemStatusEnum": "orchestration.models.ActionItemStatus",
    },
}

# Orchestration defaults: the decision configuration of projects without their own.
ORCHESTRATION = {
    "DECISION_MODE": env("ORCHESTRATION_DECISION_MODE", "intelligence_enhanced"),
    "CONFIDENCE_THRESHOLD": envfloat("ORCHESTRATION_CONFIDENCE_THRESHOLD", "0.5"),
    "ENABLE_TASK_COUNT_ADJUSTMENT": envbool("ORCHESTRATION_ENABLE_TASK_COUNT_ADJUSTMENT", "true"),
    "ENABLE_SPRINT_DURATION_ADJUSTMENT": envbool(
        "ORCHESTRATION_ENABLE_SPRINT_DURATION_ADJUSTMENT", "true"
    ),
    "MIN_SIMILAR_PROJECTS": envint("ORCHESTRATION_MIN_SIMILAR_PROJECTS", "3"),
    "MAX_TASK_ADJUSTMENT_PERCENT": envfloat("ORCHESTRATION_MAX_TASK_ADJUSTMENT_PERCENT", "50"),
}

# Background work (docs/design.md §6, "Background work"). Workers run
# `manage.py procrastinate worker`; their periodic tasks replace the CronJobs.
# How often workers look for due daily-scrum schedules and for jobs of dead workers
# (croniter syntax: a sixth field counts seconds, "* * * * * */5" = every 5 s).
SCHEDULE_TICK_CRON = env("SCHEDULE_TICK_CRON", "* * * * *")
# A fleet-wide orchestration pass (one job per project); empty = off.
ORCHESTRATE_ALL_CRON = env("ORCHESTRATE_ALL_CRON", "")
# A job whose worker sent no heartbeat for this long is retried (the worker died).
WORKER_STALLED_AFTER_S = envfloat("WORKER_STALLED_AFTER_S", "30")
PROCRASTINATE_WORKER_DEFAULTS = {
    "update_heartbeat_interval": envfloat("WORKER_HEARTBEAT_S", "10"),
    "stalled_worker_timeout": WORKER_STALLED_AFTER_S,
}
# How long a synchronous orchestration waits for its project's lock before a 409.
ORCHESTRATION_LOCK_TIMEOUT_MS = envint("ORCHESTRATION_LOCK_TIMEOUT_MS", "5000")

# Performance measurement (perfmetrics/conf.py lists every key and its default).
PERFMETRICS = {
    "ENABLED": envbool("PERFMETRICS_ENABLED", "true"),
    "TOTAL_MS": envfloat("PERFMETRICS_TOTAL_MS", "2000"),
    # Orchestration's components with a per-run target; adding a threshold is one entry.
    "COMPONENT_MS": {PATTERN_ANALYSIS: envfloat("PERFMETRICS_PATTERN_ANALYSIS_MS", "1000")},
    "MEMORY_INCREASE_MB": envfloat("PERFMETRICS_MEMORY_INCREASE_MB", "100"),
    "SUCCESS_RATE": envfloat("PERFMETRICS_SUCCESS_RATE", "0.95"),
    "WINDOW_MINUTES": envint("PERFMETRICS_WINDOW_MINUTES", "60"),
    "REGRESSION_PERCENT": envfloat("PERFMETRICS_REGRESSION_PERCENT", "20"),
    "DEFAULT_RUN_NAME": RUN_NAME,
    "RETENTION_DAYS": envint("PERFMETRICS_RETENTION_DAYS", "30"),
    # APP_RELEASE (the image tag in k8s/); a development checkout's `git describe` otherwise.
    "RELEASE": detect_release(env("APP_RELEASE"), checkout=BASE_DIR),
    "HTTP_METRICS": envbool("PERFMETRICS_HTTP_METRICS", "true"),
    # OpenTelemetry traces of runs when an OTLP endpoint is configured.
    "TRACING": bool(env("OTEL_EXPORTER_OTLP_ENDPOINT").strip()),
    "REGRESSION_SAMPLE_RUNS": envint("PERFMETRICS_REGRESSION_SAMPLE_RUNS", "1000"),
    "REGRESSION_ALPHA": envfloat("PERFMETRICS_REGRESSION_ALPHA", "0.05"),
}

# JSON lines with the request id in production, plain text while debugging.
LOGGING = logging_config(
    log_format=env("LOG_FORMAT", "text" if DEBUG else "json"), level=env("LOG_LEVEL", "INFO")
)
