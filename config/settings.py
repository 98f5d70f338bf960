"""Encore settings: one module, every value from the environment.

Defaults give the embedded configuration (SQLite and Celery's filesystem
transport under var/), so a fresh clone runs with nothing installed.
Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and
CELERY_BROKER_URL. A bad value stops start-up with a message naming it.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config.env import envbool, envchoice, envfloat, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", True)

SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "core",
    "catalog",
    "accounts",
    "recommendations",
    "api",
]
# The bench_* commands (benchmarks/) exist only when asked for: `make bench` sets this.
if envbool("ENCORE_BENCHMARKS", False):
    INSTALLED_APPS.append("benchmarks")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into a clear page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
_env = environ.Env()
_db_scheme = envstr("DATABASE_URL", "sqlite://").split("://", 1)[0]
if _db_scheme not in environ.Env.DB_SCHEMES:
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a valid database URL: unknown scheme {_db_scheme!r} (use postgres:// or sqlite:///)"
    )
try:
    DATABASES = {
        "default": _env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'encore.sqlite3'}"),
    }
except Exception as exc:  # django-environ raises several types for a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one file: WAL lets readers run
    # beside a writer, and IMMEDIATE transactions wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so worker processes started by the tests see the same data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend with a health check that needs no round trip (config/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    # Django's queries bind parameters on the client and are never prepared; this lets the few
    # statements that ask for it (the API's cache check) be prepared once per connection.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
# Persistent connections on every backend: reopening SQLite and rerunning its
# PRAGMAs on each request costs as much as a small query. A connection the
# server closed (a restart) is noticed and replaced before a request uses it.
DATABASES["default"]["CONN_MAX_AGE"] = envint("CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------
try:
    CACHES = {"default": _env.cache_url("CACHE_URL", default="locmemcache://encore")}
except Exception as exc:
    raise ImproperlyConfigured(f"CACHE_URL is not a valid cache URL: {exc}") from exc

# --- Authentication -------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Lock an account (per username and address) after repeated failed logins.
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"

# --- Email ----------------------------------------------------------------------
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Encore <noreply@localhost>")

# --- Internationalisation ---------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media files ---------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": envstr("DEFAULT_FILE_STORAGE", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if envbool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security (production) ------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if envbool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Celery -----------------------------------------------------------------------------
CELERY_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: one folder of messages shared by every
    # process of this checkout; created here so any process can start first.
    for _sub in ("queue", "processed", "results", "control"):
        (CELERY_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DIR / "queue"),
        "data_folder_out": str(CELERY_DIR / "queue"),
        "processed_folder": str(CELERY_DIR / "processed"),
        "control_folder": str(CELERY_DIR / "control"),
        "store_processed": False,
    }
    _default_backend = f"file://{CELERY_DIR / 'results'}"
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    _default_backend = CELERY_BROKER_URL
elif CELERY_BROKER_URL.startswith(("amqp://", "pyamqp://", "memory://")):
    _default_backend = "cache+memory://" if CELERY_BROKER_URL.startswith("memory://") else "rpc://"
else:
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL must start with filesystem://, redis://, rediss:// or amqp://, got {CELERY_BROKER_URL!r}"
    )
CELERY_RESULT_BACKEND = envstr("CELERY_RESULT_BACKEND", _default_backend)
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 30 * 60, minimum=1)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 35 * 60, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Recommendations ----------------------------------------------------------------------
ENCORE_MODEL_ALGORITHM = envchoice(
    "ENCORE_MODEL_ALGORITHM",
    "hybrid",
    ("hybrid", "itemknn", "userknn", "ease", "content", "popularity", "trending"),
)
ENCORE_RETRAIN_MINUTES = envint("ENCORE_RETRAIN_MINUTES", 60, minimum=1)
ENCORE_QUALITY_TOLERANCE = envfloat("ENCORE_QUALITY_TOLERANCE", 0.05)
ENCORE_KEEP_VERSIONS = envint("ENCORE_KEEP_VERSIONS", 5, minimum=1)
ENCORE_TRENDING_HALF_LIFE_DAYS = envfloat("ENCORE_TRENDING_HALF_LIFE_DAYS", 7.0)
ENCORE_TRENDING_REFRESH_MINUTES = envint("ENCORE_TRENDING_REFRESH_MINUTES", 15, minimum=1)
# A training run refreshes its heartbeat this often; one silent for STALE seconds (a killed
# worker) is marked failed, which frees the single-flight slot for the next run.
ENCORE_TRAINING_HEARTBEAT_SECONDS = envint("ENCORE_TRAINING_HEARTBEAT_SECONDS", 10, minimum=1)
ENCORE_TRAINING_STALE_SECONDS = envint("ENCORE_TRAINING_STALE_SECONDS", 120, minimum=2)
# Item-block sharding of the similarity work over Celery workers: blocks per matrix, and the
# data size from which it pays off (smaller catalogs train in one task).
ENCORE_TRAINING_BLOCKS = envint("ENCORE_TRAINING_BLOCKS", 8, minimum=1)
ENCORE_SHARD_MIN_INTERACTIONS = envint("ENCORE_SHARD_MIN_INTERACTIONS", 1_000_000, minimum=0)
# Users sampled for the holdout metrics of a version (all of them below this).
ENCORE_EVAL_USERS = envint("ENCORE_EVAL_USERS", 5000, minimum=10)
# Above this many interactions the holdout model is fitted on a fixed random subset of users.
ENCORE_EVAL_MAX_INTERACTIONS = envint("ENCORE_EVAL_MAX_INTERACTIONS", 2_000_000, minimum=1000)
# The catalog `bootstrap` (and so `make run`) loads into an empty database: a MovieLens folder.
ENCORE_DEMO_DATA = Path(envstr("ENCORE_DEMO_DATA", str(BASE_DIR / "data" / "ml-latest-small")))
# Password of the demo accounts created by the MovieLens import (demo1 ... demo610).
ENCORE_DEMO_PASSWORD = envstr("ENCORE_DEMO_PASSWORD", "encore-demo")
# The staff account `manage.py bootstrap` creates; the password is generated and printed once when unset.
ENCORE_ADMIN_USERNAME = envstr("ENCORE_ADMIN_USERNAME", "admin")
ENCORE_ADMIN_PASSWORD = envstr("ENCORE_ADMIN_PASSWORD")


# --- REST framework -------------------------------------------------------------------------
def _throttle_rate(name: str, default: str) -> str:
    value = envstr(name, default)
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name} must look like 600/min (a count per s, min, hour or day), got {value!r}")
    return value


REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.ApiPagination",
    "PAGE_SIZE": 20,
    # Closed by default: a new view needs an API key unless it opts out explicitly (see api/urls.py).
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ReadOrWriteByMethod"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ClientRateThrottle", "api.throttling.IngestionRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        # Per client across all its keys; an ApiClient's own throttle_rate overrides the first.
        "client": _throttle_rate("API_THROTTLE_RATE", "3000/min"),
        "client_write": _throttle_rate("API_WRITE_THROTTLE_RATE", "300/min"),
        "website_user": _throttle_rate("API_WEBSITE_THROTTLE_RATE", "600/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.SafeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONBodyParser"],
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    "DEFAULT_METADATA_CLASS": "api.metadata.MinimalMetadata",
}
# Seconds each web process may reuse a looked-up API key; revocation reaches other processes within it.
API_KEY_CACHE_SECONDS = envint("API_KEY_CACHE_SECONDS", 2, minimum=0)
SPECTACULAR_SETTINGS = {
    "TITLE": "Encore API",
    "DESCRIPTION": (
        "Recommendations as a service: send your catalog and your users' events, get personal "
        "recommendations with reasons. Authenticate with `Authorization: Api-Key <key>`. Errors always "
        'look like `{"error": {"code", "message", "details"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ItemKindEnum": "catalog.models.Item.Kind",
        "EventKindEnum": "api.serializers.EVENT_KINDS",
        "InteractionKindEnum": "catalog.models.Interaction.Kind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
}

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
