"""Settings, read from the environment once, as typed classes.

`ENV` picks the class: development (default), test or production. Every
value a deployment may change comes from an environment variable; the
defaults give a working SQLite set-up on a new machine.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask_appbuilder.const import AUTH_DB

from permissions.roles import ADMIN_ROLE, APPLICANT_ROLE, BUILTIN_ROLES, PUBLIC_ROLE

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_PATH = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def new_keys() -> dict[str, str]:
    """Fresh production keys, one line each for the environment
    (`flask --app run make-keys`): the session secret, a Fernet key for
    encrypted identifiers and the key of their lookup hashes."""
    from cryptography.fernet import Fernet

    return {"SECRET_KEY": secrets.token_hex(32), "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "FIELD_HMAC_KEY": secrets.token_hex(32)}


def development_secret_key() -> str:
    """A key generated once into instance/, so restarts keep sessions valid."""
    path = INSTANCE_PATH / "secret_key"
    if not path.exists():
        INSTANCE_PATH.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def development_field_keys() -> tuple[str, str]:
    """Keys for encrypted identifiers, generated once into instance/ for
    development (production sets FIELD_ENCRYPTION_KEYS / FIELD_HMAC_KEY)."""
    path = INSTANCE_PATH / "field_keys"
    if not path.exists():
        INSTANCE_PATH.mkdir(parents=True, exist_ok=True)
        keys = new_keys()
        path.write_text(keys["FIELD_ENCRYPTION_KEYS"] + "\n" + keys["FIELD_HMAC_KEY"])
        path.chmod(0o600)
    fernet, hmac_key = path.read_text().split()
    return fernet, hmac_key


def database_url(default: str) -> str:
    url = env_str("DATABASE_URL", default)
    # Heroku-style URLs; SQLAlchemy 2 wants the driver named.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    ENV_NAME = "development"
    APP_NAME = "职称申报评审系统"
    APP_THEME = ""
    SECRET_KEY: str | None = env_str("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI: str = database_url(f"sqlite:///{INSTANCE_PATH / 'app.db'}")
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL: str | None = env_str("REDIS_URL")
    INSTANCE_DIR = str(INSTANCE_PATH)
    UPLOAD_DIR = env_str("UPLOAD_DIR", str(INSTANCE_PATH / "uploads"))
    # Uploads (photos, #9/#10): one photo up to UPLOAD_MAX_BYTES (a current phone's largest); the
    # request may carry that plus the form. A proxy in front needs the same (client_max_body_size).
    UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 40 * 1024 * 1024)
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", UPLOAD_MAX_BYTES + 1024 * 1024)
    RATE_LIMIT_UPLOADS = env_str("RATE_LIMIT_UPLOADS", "120 per hour")   # per account

    # Flask-AppBuilder: security, roles, generated CRUD.
    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = ADMIN_ROLE
    AUTH_ROLE_PUBLIC = PUBLIC_ROLE
    AUTH_USER_REGISTRATION = True
    AUTH_USER_REGISTRATION_ROLE = APPLICANT_ROLE
    FAB_ROLES = BUILTIN_ROLES
    FAB_SECURITY_MANAGER_CLASS = "views.security.SecurityManager"
    FAB_INDEX_VIEW = "views.home.HomeView"
    FAB_BASE_TEMPLATE = "layout.html"
    # Permissions and the schema come from `flask setup`, never from a
    # worker's start-up (workers on a fresh database race and crash).
    FAB_UPDATE_PERMS = False
    FAB_CREATE_DB = False
    FAB_ADD_SECURITY_API = False
    FAB_API_SWAGGER_UI = False  # its page carries inline script the CSP refuses
    FAB_ADD_MENU_API = False  # views/api.py registers the menu API with its refusals documented, in Chinese
    # The fake hash that balances login timing for unknown accounts is made
    # with this same method by create_app.
    FAB_PASSWORD_HASH_METHOD = "scrypt"  # nosec B105 - a hash method name, not a password
    AUTH_RATE_LIMITED = True
    AUTH_RATE_LIMIT = env_str("AUTH_RATE_LIMIT", "20 per minute")

    # One language; Flask-Admin's catalogue is named zh_Hans_CN, FAB's zh.
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    LANGUAGES = {"zh_Hans_CN": {"flag": "cn", "name": "中文"}}
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "app" / "translations")
    # What "now" and "today" mean (an IANA zone), whatever the server's own zone:
    # dates turn at midnight there and every time is shown there (models/clock.py).
    TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")

    # Sessions live on the server; the cookie holds a random id only.
    SESSION_COOKIE_NAME = "zc_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
    SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 8)
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=SESSION_IDLE_MINUTES)
    # Speed (#13): an anonymous visitor's session is stored only on its first
    # write (captcha, 已阅读协议) and lives this long without a request.
    SESSION_ANONYMOUS_MINUTES = env_int("SESSION_ANONYMOUS_MINUTES", 15)
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    # API tokens: an access token lasts as long as a web session may stay idle, a refresh
    # token as long as a web session may last; both die with their API session earlier.
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=SESSION_IDLE_MINUTES)
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(hours=SESSION_ABSOLUTE_HOURS)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Rate limits (Flask-Limiter); shared across workers through Redis.
    RATELIMIT_STORAGE_URI = env_str("RATELIMIT_STORAGE_URI") or env_str("REDIS_URL") or "memory://"
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    RATE_LIMIT_LOGIN = env_str("RATE_LIMIT_LOGIN", "20 per minute;200 per day")
    RATE_LIMIT_SMS_PER_IP = env_str("RATE_LIMIT_SMS_PER_IP", "300 per hour")
    RATE_LIMIT_SMS_PER_PHONE = env_str("RATE_LIMIT_SMS_PER_PHONE", "5 per hour;10 per day")
    RATE_LIMIT_FORMS = env_str("RATE_LIMIT_FORMS", "30 per minute")
    RATE_LIMIT_CAPTCHA = env_str("RATE_LIMIT_CAPTCHA", "60 per minute")
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
    # Redis down (#11): short timeouts, no retries; limits fall back to memory per process.
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

    # Accounts (manual 1.1.1, PRODUCT A1–A9).
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    SMS_CODE_TTL_SECONDS = 180
    SMS_RESEND_SECONDS = 60
    SMS_CODE_MAX_TRIES = 5
    CAPTCHA_TTL_SECONDS = 300
    CAPTCHA_FIXED_CODE: str | None = env_str("CAPTCHA_FIXED_CODE")
    TEMP_PASSWORD_MINUTES = 30

    # SMS: console writes JSON lines where a developer and a test can read them.
    SMS_BACKEND = env_str("SMS_BACKEND", "console")
    SMS_OUTBOX = env_str("SMS_OUTBOX", str(INSTANCE_PATH / "sms_outbox.jsonl"))
    SMS_HTTP_URL = env_str("SMS_HTTP_URL")
    SMS_HTTP_TEMPLATE = env_str("SMS_HTTP_TEMPLATE", '{"phone": "{phone}", "text": "{text}"}')
    SMS_HTTP_TOKEN = env_str("SMS_HTTP_TOKEN")
    SMS_HTTP_TIMEOUT = env_int("SMS_HTTP_TIMEOUT", 5)
    SMS_SIGNATURE = env_str("SMS_SIGNATURE", "【职称申报】")

    # Security and privacy (#10, #9 items 1/10/11): limits keyed on the person
    # first (account, phone, session), the per-IP values are only ceilings for
    # a large employer behind one NAT address; TRUSTED_PROXIES above says how
    # many proxies' X-Forwarded-For to believe.
    RATE_LIMIT_LOGIN_PER_IP = env_str("RATE_LIMIT_LOGIN_PER_IP", "600 per hour")
    RATE_LIMIT_FORMS_PER_IP = env_str("RATE_LIMIT_FORMS_PER_IP", "600 per hour")
    LOGIN_ALERT_FAILURES = env_int("LOGIN_ALERT_FAILURES", 10)
    #: ID numbers and phones encrypted at rest: Fernet keys, comma-separated,
    #: the first encrypts, all decrypt (rotation); the HMAC key for lookups.
    #: Development generates both into instance/; production must set them.
    FIELD_ENCRYPTION_KEYS: str | None = env_str("FIELD_ENCRYPTION_KEYS")
    FIELD_HMAC_KEY: str | None = env_str("FIELD_HMAC_KEY")
    #: roles that sign in with a second factor (TOTP app, recovery code or SMS): every
    #: role but the applicant's, the experts who vote included; development and tests
    #: leave it empty so the demo accounts sign in directly
    MFA_REQUIRED_ROLES = env_str("MFA_REQUIRED_ROLES", "管理员,审计管理员,职称办,评委会,主管部门,单位审核,评审专家")
    # Staff without an authenticator app may take the second factor by SMS to their phone on record.
    MFA_SMS = env_bool("MFA_SMS", True)
    #: audit rows are kept at least this many days (等保: ≥ 6 months)
    AUDIT_RETENTION_DAYS = max(183, env_int("AUDIT_RETENTION_DAYS", 365))

    # Printouts: a TrueType CJK font from Debian's fonts-wqy-microhei.
    PDF_FONT = env_str("PDF_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    # Characters PDF_FONT lacks (CJK Ext. A-H, compatibility ideographs, emoji) are set in the
    # first of these that has them (TrueType outlines only: ReportLab cannot embed CFF fonts).
    # Chosen by measured coverage: scripts/font_coverage.py; README "Fonts".
    PDF_FALLBACK_FONTS = tuple(p.strip() for p in env_str("PDF_FALLBACK_FONTS", ",".join((
        "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",        # fonts-hanazono: Ext. A, compatibility
        "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",        # Ext. B-F
        "/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf",  # fonts-babelstone-han: Ext. G, H (part)
        "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf",  # fonts-symbola: emoji
    ))).split(",") if p.strip())
    # Speed (#13): PDF renders per person (a kept, unchanged printout does not count).
    PRINT_RATE_LIMIT = env_str("PRINT_RATE_LIMIT", "20 per minute;200 per hour")
    # With a queue, printouts are rendered by the job worker; a request waits this long for one.
    PRINT_WAIT_SECONDS = env_int("PRINT_WAIT_SECONDS", 30)
    # Larger list exports run as a background job with a progress bar.
    EXPORT_BACKGROUND_ROWS = env_int("EXPORT_BACKGROUND_ROWS", 10_000)
    # Excel imports (app/platform/xlsx_reader.py): what a file may hold; a sheet's stated
    # size is never trusted. Above IMPORT_BACKGROUND_ROWS rows the import runs on the job worker.
    IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
    IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 5000)
    IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 50)
    IMPORT_MAX_PART_BYTES = env_int("IMPORT_MAX_PART_BYTES", 8 * 1024 * 1024)   # one XML part, uncompressed
    IMPORT_MAX_ZIP_ENTRIES = env_int("IMPORT_MAX_ZIP_ENTRIES", 1000)
    IMPORT_BACKGROUND_ROWS = env_int("IMPORT_BACKGROUND_ROWS", 1000)

    # Platform (#11): job queue, storage, Redis timeouts, health.
    # The queue is RQ on JOB_REDIS_URL (default REDIS_URL); without either,
    # tasks run in-process. `flask worker` processes it.
    JOB_REDIS_URL = env_str("JOB_REDIS_URL")
    JOB_INLINE = env_bool("JOB_INLINE", False)                # run tasks in-process even with Redis
    JOB_QUEUE = env_str("JOB_QUEUE", "zc-jobs")
    JOB_TIMEOUT = env_int("JOB_TIMEOUT", 1800)                 # seconds one job may run
    JOB_RETRY_DELAYS = [int(x) for x in env_str("JOB_RETRY_DELAYS", "10,60,300").split(",")]
    JOB_STALE_SECONDS = env_int("JOB_STALE_SECONDS", 120)     # no heartbeat this long: the worker died
    JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3)
    JOB_SCHEDULER_SECONDS = env_int("JOB_SCHEDULER_SECONDS", 15)
    REDIS_TIMEOUT = float(env_str("REDIS_TIMEOUT", "0.5"))   # connect/read timeout, seconds
    # Stored files: "local" (UPLOAD_DIR, one host) or "s3" (any S3-compatible bucket, shared).
    STORAGE_BACKEND = env_str("STORAGE_BACKEND", "local")
    S3_BUCKET = env_str("S3_BUCKET")
    S3_PREFIX = env_str("S3_PREFIX", "")
    S3_ENDPOINT_URL = env_str("S3_ENDPOINT_URL")              # unset for AWS; http(s)://… for MinIO, OSS, COS …
    S3_REGION = env_str("S3_REGION")
    S3_ACCESS_KEY_ID = env_str("S3_ACCESS_KEY_ID")
    S3_SECRET_ACCESS_KEY = env_str("S3_SECRET_ACCESS_KEY")
    S3_ADDRESSING_STYLE = env_str("S3_ADDRESSING_STYLE", "path")
    STORAGE_ORPHAN_GRACE_HOURS = env_int("STORAGE_ORPHAN_GRACE_HOURS", 24)
    # A bucket that hangs: each storage call gives up well before the proxy's 65 s (deploy/nginx.conf),
    # at most S3_MAX_ATTEMPTS × (connect + read) seconds — a read timeout is per wait for the next
    # bytes, not for a whole 40 MB transfer. At most STORAGE_CONCURRENCY calls per process wait on
    # the bucket; another waits STORAGE_WAIT_SECONDS for a turn, then answers 503 存储服务暂时不可用,
    # so a stalled bucket never holds every thread (gunicorn.conf.py: 8 per worker).
    S3_CONNECT_TIMEOUT = float(env_str("S3_CONNECT_TIMEOUT", "2"))
    S3_READ_TIMEOUT = float(env_str("S3_READ_TIMEOUT", "8"))
    S3_MAX_ATTEMPTS = env_int("S3_MAX_ATTEMPTS", 2)
    STORAGE_CONCURRENCY = env_int("STORAGE_CONCURRENCY", 4)
    STORAGE_WAIT_SECONDS = float(env_str("STORAGE_WAIT_SECONDS", "2"))
    # After a call found the bucket unreachable (timed out, refused), calls fail at once for this long.
    STORAGE_PAUSE_SECONDS = float(env_str("STORAGE_PAUSE_SECONDS", "10"))
    # /readyz: the storage's own short check (one attempt), and the free disk below which it says down.
    READYZ_STORAGE_SECONDS = float(env_str("READYZ_STORAGE_SECONDS", "2"))
    READYZ_DISK_MIN_FREE_PERCENT = float(env_str("READYZ_DISK_MIN_FREE_PERCENT", "5"))
    LOG_FORMAT = env_str("LOG_FORMAT", "text")                # "json": one JSON object per line

    # The system's public address (scheme, host, optional path prefix). Every absolute link — the
    # QR code on a printout or certificate, a link in an SMS — is built from it, in a web request
    # and on the job worker alike, never from a request's Host header. Production must set it.
    PUBLIC_BASE_URL: str | None = env_str("PUBLIC_BASE_URL", f"http://127.0.0.1:{env_int('PORT', 5000)}")
    # Host names accepted beside PUBLIC_BASE_URL's (comma-separated, e.g. an intranet name). With
    # REFUSE_UNKNOWN_HOSTS (production) a request for any other Host answers 400; /healthz and
    # /readyz answer whatever the Host, for the load balancer's probes of each instance.
    EXTRA_ALLOWED_HOSTS = env_str("EXTRA_ALLOWED_HOSTS", "")
    REFUSE_UNKNOWN_HOSTS = env_bool("REFUSE_UNKNOWN_HOSTS", False)

    # The committee's evaluation (#12, W9–W14): 同意 needed as a share of the experts present, the
    # quorum as a share of a group's experts, the working days of 公示, objections per IP.
    REVIEW_PASS_THRESHOLD = env_str("REVIEW_PASS_THRESHOLD", "2/3")
    REVIEW_QUORUM = env_str("REVIEW_QUORUM", "2/3")
    # Neither a meeting's 通过比例 nor the quorum may be set below this share
    # (《职称评审管理暂行规定》: 2/3 of the experts attend; 2/3 of those present agree).
    REVIEW_MINIMUM_SHARE = env_str("REVIEW_MINIMUM_SHARE", "2/3")
    PUBLICITY_WORKING_DAYS = env_int("PUBLICITY_WORKING_DAYS", 5)
    RATE_LIMIT_OBJECTIONS = env_str("RATE_LIMIT_OBJECTIONS", "5 per hour;20 per day")

    # 统计分析 (#14): a person's figures for the same filters are reused this
    # many seconds (0: computed at every request).
    STATISTICS_CACHE_SECONDS = env_int("STATISTICS_CACHE_SECONDS", 60)


class DevelopmentConfig(Config):
    MFA_REQUIRED_ROLES = env_str("MFA_REQUIRED_ROLES", "")


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    MFA_REQUIRED_ROLES = ""
    FIELD_ENCRYPTION_KEYS = "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="  # nosec B105 - tests only
    FIELD_HMAC_KEY = "test-hmac-key-for-identifiers"  # nosec B105 - tests only
    SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256"  # nosec B105 - the test configuration only
    SQLALCHEMY_DATABASE_URI = database_url("sqlite://")
    FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # nosec B105 - a hash method name (fast, tests only)
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL")     # no default: create_app refuses to start without it
    REFUSE_UNKNOWN_HOSTS = True
    # Database errors never carry their parameters (IDs, hashes) into logs.
    SQLALCHEMY_ENGINE_OPTIONS = {**Config.SQLALCHEMY_ENGINE_OPTIONS, "hide_parameters": True}


CONFIGS = {"development": DevelopmentConfig, "test": TestConfig, "production": ProductionConfig}


def config_for(name: str | None = None) -> type[Config]:
    name = (name or os.environ.get("ENV") or "development").lower()
    if name not in CONFIGS:
        raise RuntimeError(f"ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
