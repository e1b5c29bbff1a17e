"""Settings, all from environment variables (12-factor).

No environment: SQLite in the repository directory and Celery tasks run in-process (the embedded
demo). `DATABASE_URL` and `REDIS_URL` set: PostgreSQL, the Redis broker and separate workers.
"""

import importlib.util
import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    return int(os.environ.get(name, default))


def env_float(name, default):
    return float(os.environ.get(name, default))


def env_list(name, default=""):
    """A comma-separated variable as a list of its non-empty, stripped items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Only the embedded demo may run without a secret: the web process refuses it on PostgreSQL
# (config/deployment.py).
DEMO_SECRET_KEY = "insecure-embedded-demo-key-set-SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "") or DEMO_SECRET_KEY
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Request counts and latencies by view for /metrics (its middleware below; airspace/operations).
    "django_prometheus",
    "airspace",
    "permits",
]

MIDDLEWARE = [
    # First: a load balancer's probe of /health/ is answered before the host check, the HTTPS
    # redirect and sign-in (airspace/operations/middleware.py).
    "airspace.operations.middleware.HealthCheckMiddleware",
    # django-prometheus times each request between these two (first and last of the rest).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a sign-in refused for a locked-out username into the lockout page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# django-axes' backend first: it refuses a locked-out username before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
# Threads of each web process for everything but the live stream (config/asgi.py): how many
# requests one process works on at once.
WEB_THREADS = env_int("WEB_THREADS", 16)

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
                "airspace.web.context_processors.roles",
                "airspace.web.context_processors.map_settings",
                "airspace.notices.context_processors.unread_notices",
                "airspace.registry.context_processors.aircraft_awaiting_verification",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if not USING_POSTGRES:
    # The embedded demo's SQLite has two writer processes, the web process and the clock. Without
    # this, a transaction that reads before it writes (every transition does) asks for the write
    # lock midway, and SQLite refuses at once rather than wait when another process holds it (a
    # 503 "database is locked" to a single user). So: write-ahead logging (readers never block the
    # writer nor wait for it), every transaction takes the write lock when it begins (BEGIN
    # IMMEDIATE), and a writer waits up to SQLITE_BUSY_TIMEOUT_S for it.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=env_float("SQLITE_BUSY_TIMEOUT_S", 20),
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# Stored and exchanged in UTC; shown to people in DISPLAY_TIME_ZONE with UTC beside it
# (airspace/templatetags/display.py, static airspace/time.js): Baghdad is UTC+3 and a three-hour
# mistake in a flight window is easy to make.
TIME_ZONE = "UTC"
DISPLAY_TIME_ZONE = os.environ.get("DISPLAY_TIME_ZONE", "Asia/Baghdad")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Leaflet and Leaflet.draw come from the pinned django-leaflet package's static files (served by us,
# no CDN: the service must work on a closed network). Its Django app needs GDAL, so it is not installed as one.
LEAFLET_STATIC_DIR = Path(importlib.util.find_spec("leaflet").submodule_search_locations[0]) / "static"
STATICFILES_DIRS = [LEAFLET_STATIC_DIR] + ([BASE_DIR / "static"] if (BASE_DIR / "static").exists() else [])
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
# Behind TLS the session and CSRF cookies travel over HTTPS only, unless told otherwise.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", BEHIND_TLS_PROXY)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Off by default: sensors and C2 systems may reach the web processes directly over a closed network.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)

# How many reverse proxies in front of the web processes append the client's address to
# X-Forwarded-For: the client is the address the outermost one saw (airspace/accounts/sign_in.py). 0: use the
# connection's address. Behind the TLS proxy every request comes from the proxy's address, and
# counting sign-ins by it would lock out or slow down everyone at once.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 1 if BEHIND_TLS_PROXY else 0)

# --- Sign-in lockout (django-axes) and slow-down -------------------------------------------
# A username that failed SIGN_IN_MAX_FAILURES times (login page, /admin/login/ and the token endpoint
# together, from any address) is refused for SIGN_IN_LOCKOUT_S, even with the right password.
SIGN_IN_MAX_FAILURES = env_int("SIGN_IN_MAX_FAILURES", 10)
SIGN_IN_LOCKOUT_S = env_int("SIGN_IN_LOCKOUT_S", 900)
# Per client address, sign-in attempts are slowed down, never locked: past this rate (DRF's
# "number/period" format) an address waits (429 with Retry-After) and can go on at that pace.
SIGN_IN_ADDRESS_RATE = os.environ.get("SIGN_IN_ADDRESS_RATE", "30/min")
AXES_FAILURE_LIMIT = SIGN_IN_MAX_FAILURES
AXES_COOLOFF_TIME = timedelta(seconds=SIGN_IN_LOCKOUT_S)
# Per username only: behind the proxy addresses are not people, and an address trying many usernames
# is slowed down by SIGN_IN_ADDRESS_RATE instead.
AXES_LOCKOUT_PARAMETERS = ["username"]
# django-axes warns when the address is not a lockout parameter, for setups where changing the
# User-Agent starts a fresh count. Here it does not: a username's failures add up over every address
# and User-Agent, and the address is slowed down by the throttle instead.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# Guesses during a lockout do not extend it: someone guessing cannot keep an officer locked out for
# longer than SIGN_IN_LOCKOUT_S after the limit was reached.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "airspace.accounts.sign_in.client_address"
AXES_LOCKOUT_CALLABLE = "airspace.accounts.sign_in.locked_out_page"

# --- API tokens (django-rest-knox) ----------------------------------------------------------
# Tokens are stored hashed and expire. People (operators, command staff) script for a shift; sensors
# and air defense C2 systems are machines that run for weeks and fetch a new token before it ends
# (the token endpoint answers when it expires).
API_TOKEN_TTL_HOURS = env_float("API_TOKEN_TTL_HOURS", 12)
MACHINE_API_TOKEN_TTL_DAYS = env_float("MACHINE_API_TOKEN_TTL_DAYS", 30)
# Each token a user holds is checked on every request they make: past this many, issuing one more
# revokes their oldest.
API_TOKENS_PER_USER = env_int("API_TOKENS_PER_USER", 10)
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),  # machines get theirs in airspace/accounts/services.py
    "AUTH_HEADER_PREFIX": "Token",  # the header clients already send: `Authorization: Token <key>`
    "AUTO_REFRESH": False,
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Also re-run by the live stream at every heartbeat: an expired or revoked token ends it.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["airspace.web.api_defaults.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "airspace.web.api_defaults.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "airspace.web.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # The same client address as the sign-in checks, for any DRF throttle keyed by address.
    "NUM_PROXIES": TRUSTED_PROXIES,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "Airspace Authorization Service API",
    "DESCRIPTION": "Flight permits, the review workflow, restricted zones, tracks and air defense notifications.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "NotificationKindEnum": "airspace.air_defense.models.AirDefenseNotification.Kind",
        "RestrictedZoneKindEnum": "airspace.zones.models.RestrictedZone.Kind",
        "TransferStateEnum": "airspace.trade.models.TransferState",
        # The permit's states keep the name they had before transfers brought a second `state`.
        "StateEnum": "permits.models.State",
        "IncidentStateEnum": "airspace.incidents.models.State",
    },
}

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# How long a Redis command may wait for an answer. A Redis that stops answering without closing the
# connection (hung, failing over, partitioned) must fail the command, not hold the request forever.
REDIS_SOCKET_TIMEOUT_S = env_float("REDIS_SOCKET_TIMEOUT_S", 2)
REDIS_SOCKET_OPTIONS = {"socket_timeout": REDIS_SOCKET_TIMEOUT_S, "socket_connect_timeout": REDIS_SOCKET_TIMEOUT_S}
# Shared by all web processes when Redis is there (the sign-in rate per address), else per process.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "airspace",
            "OPTIONS": REDIS_SOCKET_OPTIONS,
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Embedded default: no broker, so tasks run in the calling process.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that is down must not hang the request that committed the change: the outbox row is
# already saved and the beat sweep will deliver it later. Nor one that stops answering: without a
# socket timeout a publish waits for it forever, and so does every approval or hostile report.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    **REDIS_SOCKET_OPTIONS,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_TASK_DEFAULT_QUEUE = "default"
# Each queue its own exchange and routing key. Left implicit, Celery binds both queues to one
# exchange with the same key: harmless on Redis, which routes by queue name, but an AMQP broker
# would copy every message into both queues.
CELERY_TASK_DEFAULT_EXCHANGE = "default"
CELERY_TASK_DEFAULT_ROUTING_KEY = "default"
CELERY_TASK_QUEUES = (
    Queue("default", Exchange("default", type="direct"), routing_key="default"),
    Queue("air_defense", Exchange("air_defense", type="direct"), routing_key="air_defense"),
    Queue("webhooks", Exchange("webhooks", type="direct"), routing_key="webhooks"),
    Queue("following", Exchange("following", type="direct"), routing_key="following"),
    Queue("c2", Exchange("c2", type="direct"), routing_key="c2"),
    Queue("evidence", Exchange("evidence", type="direct"), routing_key="evidence"),
)
# Alerts to the stream and webhook posts on queues of their own, served by their own workers
# (Procfile, docker-compose.yml): a burst of alerts fans out to tens of thousands of webhook posts,
# and a slow or dead C2 receiver holds a worker for WEBHOOK_TIMEOUT_S each; neither may delay the next
# alert to the stream.
CELERY_TASK_ROUTES = {
    "airspace.air_defense.tasks.deliver_notification": {"queue": "air_defense"},
    "airspace.air_defense.tasks.deliver_notifications": {"queue": "air_defense"},
    "airspace.air_defense.tasks.create_webhook_deliveries": {"queue": "webhooks"},
    "airspace.air_defense.tasks.queue_webhook_posts": {"queue": "webhooks"},
    "airspace.air_defense.tasks.deliver_webhook": {"queue": "webhooks"},
    # Flight following's pass (50-200 ms of CPU every few seconds) on a worker of its own: on the
    # alerts worker it held one of its processes, and the alerts that came meanwhile waited.
    "airspace.surveillance.tasks.follow_flights": {"queue": "following"},
    # Cursor on Target to the TAK endpoints (airspace/c2): connections to outside systems that may be
    # slow or down, on workers of their own like the webhooks.
    "airspace.c2.tasks.send_picture": {"queue": "c2"},
    "airspace.c2.tasks.send_to_endpoint": {"queue": "c2"},
    # Archiving a day of evidence takes minutes (docs/PERFORMANCE.md, "Evidence storage"): never on
    # the alerts worker. Served by the webhooks worker's threads (Procfile, docker-compose.yml), which
    # run at a lower priority and mostly wait themselves.
    "airspace.surveillance.tasks.maintain_evidence": {"queue": "evidence"},
    # The alerts worker's heartbeat goes through the alerts queue itself: fresh, it says that queue moves.
    "airspace.operations.tasks.air_defense_heartbeat": {"queue": "air_defense"},
}
# The periodic jobs: run by `celery beat` in a real deployment and by `manage.py run_clock` in the
# embedded demo (which has no broker), so both modes keep the same clock.
NOTIFICATION_SWEEP_INTERVAL_S = env_float("NOTIFICATION_SWEEP_INTERVAL_S", 10)
PERMIT_CLOCK_INTERVAL_S = env_float("PERMIT_CLOCK_INTERVAL_S", 15)
# Flight following's clock (surveillance/following.py): Flight Blender checks conformance every 5 s,
# and ASTM F3548 wants a contingent operation announced within 5 s.
FOLLOWING_CHECK_INTERVAL_S = env_float("FOLLOWING_CHECK_INTERVAL_S", 5)
# The air picture to the TAK endpoints (airspace/c2, docs/C2.md): every track's latest position,
# the alerts not delivered yet, at most this often per endpoint.
TAK_SEND_INTERVAL_S = env_float("TAK_SEND_INTERVAL_S", 5)
# The evidence (position reports) on PostgreSQL: one partition per UTC day of observed_at, made this
# many days ahead by the clock every EVIDENCE_MAINTENANCE_INTERVAL_S, which also archives each day past
# EVIDENCE_RETENTION_DAYS (0: kept for ever) to EVIDENCE_ARCHIVE_DIR as gzip CSV before dropping it
# (airspace/surveillance/evidence.py, docs/PERFORMANCE.md "Evidence storage"). Nothing on SQLite.
EVIDENCE_RETENTION_DAYS = env_int("EVIDENCE_RETENTION_DAYS", 90)
EVIDENCE_ARCHIVE_DIR = os.environ.get("EVIDENCE_ARCHIVE_DIR", "") or str(BASE_DIR / "evidence-archive")
EVIDENCE_PARTITIONS_AHEAD_DAYS = env_int("EVIDENCE_PARTITIONS_AHEAD_DAYS", 7)
EVIDENCE_MAINTENANCE_INTERVAL_S = env_float("EVIDENCE_MAINTENANCE_INTERVAL_S", 3600)
CELERY_BEAT_SCHEDULE = {
    "sweep-undelivered-notifications": {
        "task": "airspace.air_defense.tasks.sweep_undelivered",
        "schedule": NOTIFICATION_SWEEP_INTERVAL_S,
    },
    "activate-due-permits": {"task": "permits.tasks.activate_due_permits", "schedule": PERMIT_CLOCK_INTERVAL_S},
    "complete-due-permits": {"task": "permits.tasks.complete_due_permits", "schedule": PERMIT_CLOCK_INTERVAL_S},
    "expire-stale-applications": {
        "task": "permits.tasks.expire_stale_applications",
        "schedule": PERMIT_CLOCK_INTERVAL_S,
    },
    "follow-flights": {
        "task": "airspace.surveillance.tasks.follow_flights",
        "schedule": FOLLOWING_CHECK_INTERVAL_S,
        # A tick the workers could not run in time is dropped: the next one covers it.
        "options": {"expires": FOLLOWING_CHECK_INTERVAL_S},
    },
    "air-defense-heartbeat": {
        "task": "airspace.operations.tasks.air_defense_heartbeat",
        "schedule": env_float("WORKER_HEARTBEAT_INTERVAL_S", 10),
        "options": {"expires": env_float("WORKER_HEARTBEAT_INTERVAL_S", 10)},
    },
    "send-picture-to-tak": {
        "task": "airspace.c2.tasks.send_picture",
        "schedule": TAK_SEND_INTERVAL_S,
        "options": {"expires": TAK_SEND_INTERVAL_S},
    },
    "maintain-evidence": {
        "task": "airspace.surveillance.tasks.maintain_evidence",
        "schedule": EVIDENCE_MAINTENANCE_INTERVAL_S,
        # Ticks queued while a long archive runs are dropped: the next run does their work.
        "options": {"expires": EVIDENCE_MAINTENANCE_INTERVAL_S},
    },
}
# Tracks seen this recently are on the TAK map; each is sent stale after TAK_TRACK_STALE_S, so a
# drone no longer reported fades from the map by itself.
TAK_TRACK_WINDOW_S = env_float("TAK_TRACK_WINDOW_S", 60)
TAK_TRACK_STALE_S = env_float("TAK_TRACK_STALE_S", 30)
TAK_MAX_TRACKS = env_int("TAK_MAX_TRACKS", 5000)
# The permits in effect are sent whole this often (a TAK client that joined since sees them).
TAK_PERMIT_REFRESH_S = env_float("TAK_PERMIT_REFRESH_S", 60)
# An alert stays on the TAK map this long; at most this many go in one send.
TAK_ALERT_STALE_S = env_float("TAK_ALERT_STALE_S", 600)
TAK_ALERT_BATCH = env_int("TAK_ALERT_BATCH", 500)
# Connecting and writing to an endpoint: given up after this; a failing endpoint is tried again after
# TAK_SEND_INTERVAL_S, doubling up to TAK_BACKOFF_MAX_S.
TAK_TIMEOUT_S = env_float("TAK_TIMEOUT_S", 5)
TAK_BACKOFF_MAX_S = env_float("TAK_BACKOFF_MAX_S", 60)

# --- Air defense delivery (docs/NOTIFICATIONS.md) -------------------------------------------
# Queuing a delivery leases the row for this long: the sweep queues it again only once the lease has
# run out and it is still undelivered (the queued task was lost: a worker killed, Redis restarted).
# Long enough for a burst's backlog to drain, so the sweep does not duplicate what is still waiting;
# short enough that a lost alert still reaches air defense within a minute.
NOTIFICATION_REDELIVER_AFTER_S = env_float("NOTIFICATION_REDELIVER_AFTER_S", 30)
# The same for webhooks (creating a notification's deliveries, a queued post). Longer: after a burst
# the webhooks queue holds tens of thousands of posts (1,000 alerts x 40 subscriptions), which take
# minutes to drain, and a lease that runs out first queues them all again. A post in flight when its
# worker dies is not held by this lease but by WEBHOOK_TIMEOUT_S plus a margin.
WEBHOOK_REDELIVER_AFTER_S = env_float("WEBHOOK_REDELIVER_AFTER_S", 600)
# Where webhooks may go: comma-separated host names and IP addresses or CIDR ranges. Empty: no
# webhooks at all. Checked when subscribing and again on the resolved address at every delivery
# (airspace/webhooks.py); this host, the database's and the broker's need an exact address entry.
WEBHOOK_ALLOWED_DESTINATIONS = env_list("WEBHOOK_ALLOWED_DESTINATIONS")
# CA certificates that https webhook receivers' certificates must chain to (a closed network's own
# CA); empty: the public CAs of certifi, as requests uses.
WEBHOOK_CA_BUNDLE = os.environ.get("WEBHOOK_CA_BUNDLE", "")
AIR_DEFENSE_STREAM_CHANNEL = os.environ.get("AIR_DEFENSE_STREAM_CHANNEL", "airspace:air-defense:notifications")
# Also how often an open stream checks that its listener may still listen (role, account, token).
AIR_DEFENSE_STREAM_HEARTBEAT_S = env_float("AIR_DEFENSE_STREAM_HEARTBEAT_S", 15)
# Live streams one user may hold open over the whole deployment (429 past it), and one web process
# (503 past it). A stream costs its web process ~50 KB and no thread (docs/NOTIFICATIONS.md, sizing).
STREAM_MAX_PER_USER = env_int("STREAM_MAX_PER_USER", 10)
STREAM_MAX_TOTAL = env_int("STREAM_MAX_TOTAL", 2000)
WEBHOOK_TIMEOUT_S = env_float("WEBHOOK_TIMEOUT_S", 5)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_BACKOFF_BASE_S = env_float("WEBHOOK_BACKOFF_BASE_S", 10)
WEBHOOK_BACKOFF_MAX_S = env_float("WEBHOOK_BACKOFF_MAX_S", 3600)

# --- Seeing it run: health checks and metrics (airspace/operations, docs/SIZING.md) ----------
# /health/ fails when the alerts worker's heartbeat (sent by beat every WORKER_HEARTBEAT_INTERVAL_S
# through the air_defense queue) is older than this, or the outbox holds a notification older than
# HEALTH_OUTBOX_MAX_AGE_S or more than HEALTH_OUTBOX_MAX_BACKLOG of them. The sweep re-sends a lost
# alert after NOTIFICATION_REDELIVER_AFTER_S (30 s): one still waiting at 60 s is stuck.
WORKER_HEARTBEAT_MAX_AGE_S = env_float("WORKER_HEARTBEAT_MAX_AGE_S", 60)
HEALTH_OUTBOX_MAX_AGE_S = env_float("HEALTH_OUTBOX_MAX_AGE_S", 60)
HEALTH_OUTBOX_MAX_BACKLOG = env_int("HEALTH_OUTBOX_MAX_BACKLOG", 10_000)
# How long a health check waits for Redis: a load balancer's probe must answer within its own timeout.
HEALTH_CHECK_TIMEOUT_S = env_float("HEALTH_CHECK_TIMEOUT_S", 1)
HEALTH_KEY_PREFIX = os.environ.get("HEALTH_KEY_PREFIX", "airspace:health")
# Who may read /metrics: a request with `Authorization: Bearer <METRICS_TOKEN>` (when set), or one
# whose connection comes from METRICS_ALLOWED_ADDRESSES (addresses or CIDR ranges; loopback unless told).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_ADDRESSES = env_list("METRICS_ALLOWED_ADDRESSES", "127.0.0.1,::1")
METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network(item, strict=False) for item in METRICS_ALLOWED_ADDRESSES]
# prometheus_client's multiprocess mode (airspace/metrics.py) writes its files into this directory
# from the first metric made, in every process (manage.py migrate too): it must exist before then.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# --- Domain settings ------------------------------------------------------------------------
PERMIT_MAX_DURATION = timedelta(hours=env_float("PERMIT_MAX_DURATION_HOURS", 24))
PERMIT_START_GRACE = timedelta(minutes=env_float("PERMIT_START_GRACE_MINUTES", 5))
# How far ahead a window may start (ASTM F3548's operational intent planning horizon is 30 days).
PERMIT_PLANNING_HORIZON = timedelta(days=env_float("PERMIT_PLANNING_HORIZON_DAYS", 30))
PERMIT_MAX_ALTITUDE_M = env_float("PERMIT_MAX_ALTITUDE_M", 1500)
# Most vertices of a drawn or typed polygon (permit volume or zone): each one costs in every list,
# map and spatial check of it from then on. A circle has 64.
MAX_AREA_VERTICES = env_int("MAX_AREA_VERTICES", 1000)
# Most features in one export (zones, permits in effect: ED-269, GeoJSON, KML), built whole in
# memory: the issue's national airspace is 20,000 permits in effect and 2,000 zones.
EXPORT_MAX_FEATURES = env_int("EXPORT_MAX_FEATURES", 25_000)

# --- Signed permits (docs/SIGNED_PERMITS.md) ---------------------------------------------------
# The Ed25519 private key (PEM) that signs approvals. Unset, the embedded demo generates one into
# this checkout once (.permit_signing_key, ignored by git); set, the file must exist.
PERMIT_SIGNING_KEY_FILE = os.environ.get("PERMIT_SIGNING_KEY_FILE", "")
# The public keys still accepted besides the current one (a JWKS file: rotate_permit_key adds to it).
PERMIT_PUBLIC_KEYS_FILE = os.environ.get("PERMIT_PUBLIC_KEYS_FILE", "") or str(BASE_DIR / ".permit_public_keys.json")
PERMIT_TOKEN_ISSUER = os.environ.get("PERMIT_TOKEN_ISSUER", "airspace-authorization")
# The public revocation check of the verification page, per client address.
PERMIT_VERIFY_RATE = os.environ.get("PERMIT_VERIFY_RATE", "60/min")
TRACK_TOLERANCE_M = env_float("TRACK_TOLERANCE_M", 25)
TRACK_ALTITUDE_TOLERANCE_M = env_float("TRACK_ALTITUDE_TOLERANCE_M", 10)
TRACK_TIME_TOLERANCE_S = env_float("TRACK_TIME_TOLERANCE_S", 30)
TRACK_REPORT_BATCH_MAX = env_int("TRACK_REPORT_BATCH_MAX", 1000)
# A report stamped further ahead than this is a sensor with a wrong clock (400), one older than
# TRACK_MAX_REPORT_AGE_H is refused as well; a track is "active" when seen in the last TRACK_ACTIVE_S.
TRACK_MAX_CLOCK_SKEW_S = env_float("TRACK_MAX_CLOCK_SKEW_S", 120)
TRACK_MAX_REPORT_AGE_H = env_float("TRACK_MAX_REPORT_AGE_H", 24)
TRACK_ACTIVE_S = env_float("TRACK_ACTIVE_S", 60)
CONSOLE_TRACK_REFRESH_S = env_float("CONSOLE_TRACK_REFRESH_S", 3)

# --- Flight following (surveillance/following.py; README "Flight following" gives the anchors) -----
# A permitted drone unseen this long is contact lost (Flight Blender: telemetry older than 15 s makes
# an operation Contingent); critical when it was last within this distance of a zone.
CONTACT_LOST_S = env_float("CONTACT_LOST_S", 15)
CONTACT_LOST_ZONE_MARGIN_M = env_float("CONTACT_LOST_ZONE_MARGIN_M", 1000)
# Seen again farther than this from where it was lost, the regained note says so.
CONTACT_REGAINED_FAR_M = env_float("CONTACT_REGAINED_FAR_M", 500)
# Outside its volume or window this long, or this far from its volume, a permitted flight is
# escalated to hostile (NASA TCL4: 60 s to correct before the flight is treated as rogue; ASTM F3548:
# a nonconforming operation may recover within 60 s).
NONCONFORMING_GRACE_S = env_float("NONCONFORMING_GRACE_S", 60)
NONCONFORMING_MAX_EXCURSION_M = env_float("NONCONFORMING_MAX_EXCURSION_M", 150)
# A sensor silent this long is stale, then offline (the sensor-health timeouts of open C-UAS kits).
SENSOR_STALE_S = env_float("SENSOR_STALE_S", 30)
SENSOR_OFFLINE_S = env_float("SENSOR_OFFLINE_S", 120)
# At least this many hostile tracks, each within SWARM_RADIUS_M of another, all seen within
# SWARM_WINDOW_S, are one swarm.
SWARM_MIN_TRACKS = env_int("SWARM_MIN_TRACKS", 3)
SWARM_RADIUS_M = env_float("SWARM_RADIUS_M", 500)
SWARM_WINDOW_S = env_float("SWARM_WINDOW_S", 60)
# An operator with this many violations (incidents resolved against them) in this many days needs a
# senior officer's approval for every permit (0: never).
SENIOR_APPROVAL_VIOLATIONS = env_int("SENIOR_APPROVAL_VIOLATIONS", 2)
SENIOR_APPROVAL_VIOLATIONS_DAYS = env_int("SENIOR_APPROVAL_VIOLATIONS_DAYS", 90)
# No tile server unless one is named: the service runs on closed networks, and a public tile server
# would learn where command staff are looking. Maps draw zones, volumes and tracks without tiles.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes logs each failed sign-in and lockout as a warning; its INFO lines are per-request chatter.
    # fastkml logs each bad coordinate of an uploaded KML as an ERROR: the import answers 400 instead.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "fastkml": {"level": "CRITICAL"},
    },
}
