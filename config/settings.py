"""Encore settings: one module, every value from the environment.

Defaults give the embedded configuration (SQLite and Celery's filesystem
transport under var/), so a fresh clone runs with nothing installed.
Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and
CELERY_BROKER_URL. A bad value stops start-up with a message naming it.
"""

import re
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import Env

env = Env()

BASE_DIR = Path(__file__).resolve().parent.parent
# Files the embedded configuration keeps (SQLite, Celery's folders, media). Importing settings
# creates nothing: each folder is made at start-up by what needs it (core/apps.py, config/celery.py).
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var"))).resolve()

DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY: must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

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
    "games",
    "experiments",
]
# The bench_* commands (benchmarks/) exist only when asked for: `make bench` sets this.
if env.bool("ENCORE_BENCHMARKS", default=False):
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
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'encore.sqlite3'}")}
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
# Persistent connections on every backend: reopening SQLite and rerunning its
# PRAGMAs on each request costs as much as a small query. A connection the
# server closed (a restart) is noticed and replaced before a request uses it:
# Django's health check runs `SELECT 1` on a reused connection before its first query.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://encore")}

# --- Authentication -------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.WebsiteBackend",
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

# The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the X-Forwarded-For
# entry the outermost one wrote (accounts/ratelimits.py). Behind a TLS proxy with no count, every
# visitor seems to come from the proxy: the client's address is unknown.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0, minimum=0)
CLIENT_IP_KNOWN = TRUSTED_PROXY_COUNT > 0 or not env.bool("BEHIND_TLS_PROXY", default=False)

# Lock an account after repeated failed logins: from the client's address only when it is known
# (nobody elsewhere can lock the owner out), else everywhere (accounts.ratelimits.lockout_parameters).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15, minimum=1))
AXES_LOCKOUT_PARAMETERS = "accounts.ratelimits.lockout_parameters"
AXES_CLIENT_IP_CALLABLE = "accounts.ratelimits.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"


def _rate_limit(name: str, default: str) -> str:
    value = env.str(name, default=default)
    if not re.fullmatch(r"[1-9][0-9]*/(?:[1-9][0-9]*)?[smhd]", value):
        raise ImproperlyConfigured(f"{name}: must look like 10/h (a count per s, m, h or d, e.g. 5/15m), got {value!r}")
    return value


# Sign-ups and password-reset requests per visitor: their browser, and their address when it is known
# (see CLIENT_IP_KNOWN); resets also per email address. Counted in the default cache (django-ratelimit;
# shared between processes with CACHE_URL=redis://...).
SIGNUP_RATE_LIMIT = _rate_limit("SIGNUP_RATE_LIMIT", "10/h")
PASSWORD_RESET_RATE_LIMIT = _rate_limit("PASSWORD_RESET_RATE_LIMIT", "5/h")
RATELIMIT_IP_META_KEY = "accounts.ratelimits.client_ip"

# --- Email ----------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25, minimum=1)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Encore <noreply@localhost>")

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
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": env.str("DEFAULT_FILE_STORAGE", default="django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security (production) ------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe health over plain HTTP inside the network: a redirect would read as "down".
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Celery -----------------------------------------------------------------------------
CELERY_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: one folder of messages shared by every process of
    # this checkout; config/celery.py creates them when the app is configured.
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
        # Only the scheme is shown: the rest of the URL may hold a password.
        f"CELERY_BROKER_URL: must start with filesystem://, redis://, rediss:// or amqp://, "
        f"got {CELERY_BROKER_URL.split('://', 1)[0]!r}://…"
    )
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=_default_backend)
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=30 * 60, minimum=1)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=35 * 60, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Recommendations ----------------------------------------------------------------------
ENCORE_MODEL_ALGORITHM = env.str(
    "ENCORE_MODEL_ALGORITHM",
    default="hybrid",
    choices=("hybrid", "itemknn", "userknn", "ease", "content", "popularity", "trending"),
)
ENCORE_RETRAIN_MINUTES = env.int("ENCORE_RETRAIN_MINUTES", default=60, minimum=1)
ENCORE_QUALITY_TOLERANCE = env.float("ENCORE_QUALITY_TOLERANCE", default=0.05, minimum=0.0, maximum=1.0)
ENCORE_KEEP_VERSIONS = env.int("ENCORE_KEEP_VERSIONS", default=5, minimum=1)
ENCORE_TRENDING_HALF_LIFE_DAYS = env.float("ENCORE_TRENDING_HALF_LIFE_DAYS", default=7.0, minimum=0.01)
ENCORE_TRENDING_REFRESH_MINUTES = env.int("ENCORE_TRENDING_REFRESH_MINUTES", default=15, minimum=1)
# A training run refreshes its heartbeat this often; one silent for STALE seconds (a killed
# worker) is marked failed, which frees the single-flight slot for the next run.
ENCORE_TRAINING_HEARTBEAT_SECONDS = env.int("ENCORE_TRAINING_HEARTBEAT_SECONDS", default=10, minimum=1)
ENCORE_TRAINING_STALE_SECONDS = env.int("ENCORE_TRAINING_STALE_SECONDS", default=120, minimum=2)
# Item-block sharding of the similarity work over Celery workers: blocks per matrix, and the
# data size from which it pays off (smaller catalogs train in one task).
ENCORE_TRAINING_BLOCKS = env.int("ENCORE_TRAINING_BLOCKS", default=8, minimum=1)
ENCORE_SHARD_MIN_INTERACTIONS = env.int("ENCORE_SHARD_MIN_INTERACTIONS", default=1_000_000, minimum=0)
# Users sampled for the holdout metrics of a version (all of them below this).
ENCORE_EVAL_USERS = env.int("ENCORE_EVAL_USERS", default=5000, minimum=10)
# Above this many interactions the holdout model is fitted on a fixed random subset of users.
ENCORE_EVAL_MAX_INTERACTIONS = env.int("ENCORE_EVAL_MAX_INTERACTIONS", default=2_000_000, minimum=1000)
# The catalog `bootstrap` (and so `make run`) loads into an empty database: a MovieLens folder.
ENCORE_DEMO_DATA = Path(env.str("ENCORE_DEMO_DATA", default=str(BASE_DIR / "data" / "ml-latest-small")))
# Password of the demo accounts created by the MovieLens import (demo1 ... demo610).
ENCORE_DEMO_PASSWORD = env.str("ENCORE_DEMO_PASSWORD", default="encore-demo")
# The staff account `manage.py bootstrap` creates; the password is generated and printed once when unset.
ENCORE_ADMIN_USERNAME = env.str("ENCORE_ADMIN_USERNAME", default="admin")
ENCORE_ADMIN_PASSWORD = env.str("ENCORE_ADMIN_PASSWORD", default="")
# Where `manage.py run` serves the site (its --bind).
ENCORE_BIND = env.str("ENCORE_BIND", default="127.0.0.1:8000")

# --- Workspaces -----------------------------------------------------------------------------
# Quotas of a workspace that sets none of its own (the admin edits them per workspace). They bound
# what its API clients may write: items, people, genres, and ratings plus events per UTC day.
WORKSPACE_MAX_ITEMS = env.int("WORKSPACE_MAX_ITEMS", default=100_000, minimum=1)
WORKSPACE_MAX_PEOPLE = env.int("WORKSPACE_MAX_PEOPLE", default=100_000, minimum=1)
WORKSPACE_MAX_GENRES = env.int("WORKSPACE_MAX_GENRES", default=200, minimum=1)
WORKSPACE_MAX_EVENTS_PER_DAY = env.int("WORKSPACE_MAX_EVENTS_PER_DAY", default=1_000_000, minimum=1)
# Memory the models a web process keeps loaded may take together (MB); the least recently used
# workspace's model is dropped first. One model is always kept, however large.
ENCORE_MODEL_CACHE_MB = env.int("ENCORE_MODEL_CACHE_MB", default=1024, minimum=1)

# --- Online evaluation (experiments) --------------------------------------------------------
# How served lists are recorded: "buffered" (each process writes its lists in bulk every second),
# "sync" (each list is written by its request) or "off" (lists are neither recorded nor attributed).
ENCORE_IMPRESSIONS = env.str("ENCORE_IMPRESSIONS", default="buffered", choices=("buffered", "sync", "off"))
# An action on a listed item within this many hours of the list is credited to it.
ENCORE_ATTRIBUTION_HOURS = env.int("ENCORE_ATTRIBUTION_HOURS", default=24, minimum=1)
# Raw impressions and their engagements are kept this many days, then rolled up into daily stats.
ENCORE_IMPRESSION_RETENTION_DAYS = env.int("ENCORE_IMPRESSION_RETENTION_DAYS", default=90, minimum=2)

# --- Games ----------------------------------------------------------------------------------
# The learning controller's training: self-play games per run, games per tournament pairing (and
# per point of the learning curve), points on that curve, the task's hard time limit, and how
# often beat retrains it.
GAMES_TRAIN_SELF_PLAY_GAMES = env.int("GAMES_TRAIN_SELF_PLAY_GAMES", default=3000, minimum=1)
GAMES_TRAIN_EVAL_GAMES = env.int("GAMES_TRAIN_EVAL_GAMES", default=20, minimum=2)
GAMES_TRAIN_CURVE_POINTS = env.int("GAMES_TRAIN_CURVE_POINTS", default=6, minimum=0)
GAMES_TRAIN_TIME_LIMIT = env.int("GAMES_TRAIN_TIME_LIMIT", default=15 * 60, minimum=60)
GAMES_RETRAIN_MINUTES = env.int("GAMES_RETRAIN_MINUTES", default=6 * 60, minimum=1)
# Game page posts (new games and moves, each may run a search) per browser, and per
# client address too when that address is known (see CLIENT_IP_KNOWN).
GAMES_MOVE_RATE_LIMIT = _rate_limit("GAMES_MOVE_RATE_LIMIT", "60/m")


# --- REST framework -------------------------------------------------------------------------
def _throttle_rate(name: str, default: str) -> str:
    value = env.str(name, default=default)
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name}: must look like 600/min (a count per s, min, hour or day), got {value!r}")
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
        # Game moves per client on top of its read budget: each may search for a second or more.
        "games_move": _throttle_rate("API_GAMES_MOVE_THROTTLE_RATE", "120/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.SafeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONBodyParser"],
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    "DEFAULT_METADATA_CLASS": "api.metadata.MinimalMetadata",
}
# Seconds each web process may reuse a looked-up API key; revocation reaches other processes within it.
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=2, minimum=0)
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
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1}},  # api.urls.IdConverter
    "ENUM_NAME_OVERRIDES": {
        "ItemKindEnum": "catalog.models.Item.Kind",
        "EventKindEnum": "api.serializers.EVENT_KINDS",
        "InteractionKindEnum": "catalog.models.Interaction.Kind",
        "EngineEnum": "games.engine.ENGINES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
}

# --- Logging ----------------------------------------------------------------------------------
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO", choices=_LOG_LEVELS)},
    "loggers": {"axes": {"level": "WARNING"}},
}
