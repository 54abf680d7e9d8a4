"""Settings of a project that only adds perfmetrics to Django's usual apps, as another
project would after ``pip install``. PostgreSQL from ``DATABASE_URL``."""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, unquote, urlsplit

_url = urlsplit(os.environ["DATABASE_URL"])
_options = dict(parse_qsl(_url.query))

# Short on purpose: a throwaway key for a test project (no secret lives in the repository).
SECRET_KEY = "standalone"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "perfmetrics.tests.standalone.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "perfmetrics",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(_url.path.lstrip("/")),
        "USER": unquote(_url.username or ""),
        "PASSWORD": unquote(_url.password or ""),
        # A Unix socket directory comes as the `host` query parameter.
        "HOST": _options.pop("host", None) or unquote(_url.hostname or ""),
        "PORT": str(_url.port or ""),
        "OPTIONS": _options,
    }
}

# perfmetrics' views take the project's DRF defaults, as any reusable DRF app does.
REST_FRAMEWORK = {"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"]}

PERFMETRICS = {"COMPONENT_MS": {"payment": 500.0}}
