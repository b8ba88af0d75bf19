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


def development_secret_key() -> str:
    """A key generated once into instance/, so restarts keep sessions valid."""
    path = INSTANCE_PATH / "secret_key"
    if not path.exists():
        INSTANCE_PATH.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


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
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 12 * 1024 * 1024)

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
    # The fake hash that balances login timing for unknown accounts is made
    # with this same method by create_app.
    FAB_PASSWORD_HASH_METHOD = "scrypt"
    AUTH_RATE_LIMITED = True
    AUTH_RATE_LIMIT = env_str("AUTH_RATE_LIMIT", "20 per minute")

    # One language; Flask-Admin's catalogue is named zh_Hans_CN, FAB's zh.
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    LANGUAGES = {"zh_Hans_CN": {"flag": "cn", "name": "中文"}}
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "app" / "translations")

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
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=30)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Rate limits (Flask-Limiter); shared across workers through Redis.
    RATELIMIT_STORAGE_URI = env_str("RATELIMIT_STORAGE_URI") or env_str("REDIS_URL") or "memory://"
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    RATE_LIMIT_LOGIN = env_str("RATE_LIMIT_LOGIN", "20 per minute;200 per day")
    RATE_LIMIT_SMS_PER_IP = env_str("RATE_LIMIT_SMS_PER_IP", "10 per hour")
    RATE_LIMIT_SMS_PER_PHONE = env_str("RATE_LIMIT_SMS_PER_PHONE", "5 per hour;10 per day")
    RATE_LIMIT_FORMS = env_str("RATE_LIMIT_FORMS", "30 per minute")
    RATE_LIMIT_CAPTCHA = env_str("RATE_LIMIT_CAPTCHA", "60 per minute")
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)

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

    # Printouts: a TrueType CJK font from Debian's fonts-wqy-microhei.
    PDF_FONT = env_str("PDF_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    # Speed (#13): PDF renders per person (a kept, unchanged printout does not count).
    PRINT_RATE_LIMIT = env_str("PRINT_RATE_LIMIT", "20 per minute;200 per hour")
    # Larger list exports run as a background job with a progress bar.
    EXPORT_BACKGROUND_ROWS = env_int("EXPORT_BACKGROUND_ROWS", 10_000)


class DevelopmentConfig(Config):
    pass


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256"
    SQLALCHEMY_DATABASE_URI = database_url("sqlite://")
    FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True


CONFIGS = {"development": DevelopmentConfig, "test": TestConfig, "production": ProductionConfig}


def config_for(name: str | None = None) -> type[Config]:
    name = (name or os.environ.get("ENV") or "development").lower()
    if name not in CONFIGS:
        raise RuntimeError(f"ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
