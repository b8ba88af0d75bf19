"""The application factory. `run.py` is the only module that builds an app
at import time; tests and commands call create_app()."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, redirect, request, url_for
from flask_appbuilder import AppBuilder
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from config import BASE_DIR, config_for, development_field_keys, development_secret_key

# Endpoints a person who must change a temporary password may still reach.
# Pages that work while the session store (Redis) is unreachable.
OPEN_WITHOUT_SESSION_STORE = {"VerifyView.index", "favicon", "healthz", "readyz"}
OPEN_WHILE_PASSWORD_CHANGE_DUE = {"AccountView.password", "AuthView.logout", "static", "appbuilder.static"}


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    cfg = config_for(config_name)
    app = Flask(__name__, instance_path=cfg.INSTANCE_DIR, instance_relative_config=False)
    from app.platform.web import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter
    app.config.from_object(cfg)
    app.config.update(overrides or {})
    _finish_config(app)

    from app.platform.web import install_log_masking

    install_log_masking(app.config.get("LOG_FORMAT", "text"))
    from app.platform.web import DrainUnreadBody

    app.wsgi_app = DrainUnreadBody(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"])
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=1)

    from app.accounts.sessions import ServerSessionInterface
    from app.platform.extensions import csrf, db, migrate
    from app.platform.kvstore import DatabaseStore, RedisStore

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    csrf.init_app(app)
    app.extensions["kv"] = RedisStore(app.config["REDIS_URL"], timeout=app.config["REDIS_TIMEOUT"]) \
        if app.config["REDIS_URL"] else \
        DatabaseStore(lambda: db.engine)
    app.session_interface = ServerSessionInterface()

    with app.app_context():
        import models  # noqa: F401  (registers every table before FAB starts)
        from app.review import workflow  # noqa: F401  (installs the guards: only the workflow changes a state)
        from app.platform import files  # noqa: F401  (registers the storage sweep task)
        from views import register_views
        from views.admin import init_admin

        appbuilder = AppBuilder()
        appbuilder.init_app(app, db.session)
        _single_language(appbuilder)
        register_views(appbuilder)
        init_admin(app)

    _install_request_hooks(app)
    from app.cli import register_commands

    register_commands(app)
    return app


def _finish_config(app: Flask) -> None:
    from models import clock

    clock.configure(app.config["TIME_ZONE"])   # an unknown zone name stops the start here
    production = app.config["ENV_NAME"] == "production"
    if not app.config.get("SECRET_KEY"):
        if production:
            raise RuntimeError("SECRET_KEY must be set when ENV=production")
        app.config["SECRET_KEY"] = development_secret_key()
    if production and app.config.get("CAPTCHA_FIXED_CODE"):
        raise RuntimeError("CAPTCHA_FIXED_CODE is for tests and demos; it must not be set when ENV=production")
    if production and app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        logging.getLogger(__name__).warning("Production is running on SQLite; set DATABASE_URL to PostgreSQL")
    if not (app.config.get("FIELD_ENCRYPTION_KEYS") and app.config.get("FIELD_HMAC_KEY")):
        if production:
            raise RuntimeError("FIELD_ENCRYPTION_KEYS and FIELD_HMAC_KEY must be set when ENV=production")
        app.config["FIELD_ENCRYPTION_KEYS"], app.config["FIELD_HMAC_KEY"] = development_field_keys()
    from app.platform.web import public_base_url
    from app.review.meetings import check_review_shares

    # Absolute links (QR codes, SMS) come from this address only; production has no default.
    app.config["PUBLIC_BASE_URL"] = public_base_url(app.config)
    from models.protected import FieldCipher

    check_review_shares(app.config)

    app.extensions["field_cipher"] = FieldCipher(
        [k.strip() for k in app.config["FIELD_ENCRYPTION_KEYS"].split(",") if k.strip()])
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)


def _single_language(appbuilder) -> None:
    """One language: the locale never depends on (or writes to) the session."""
    from flask import current_app

    locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    appbuilder.bm.get_locale = lambda: locale
    current_app.extensions["babel"].locale_selector = lambda: locale


def _install_request_hooks(app: Flask) -> None:
    from flask import session
    from flask_wtf.csrf import CSRFError

    from app.platform.kvstore import STORE_ERRORS, RedisStore, kv
    from app.platform.web import (
        add_request_id,
        add_security_headers,
        csp_nonce,
        database_unavailable,
        handle_expired_form,
        handle_http_error,
        handle_unexpected_error,
        install_link_cache,
        install_text_field_check,
        local_time,
        keep_redirects_local,
        refuse_control_characters,
        refuse_unknown_host,
        reject_out_of_range_numbers,
        request_id,
        storage_unavailable,
        store_unavailable,
        text_lines,
    )
    from app.platform.frame import install_frame_tags
    from app.platform.transactions import install_read_only_commit
    from app.review.workflow import APPLICANT_LABELS, STATUS_LABELS
    from models.registry.fields import DATE_IMPOSSIBLE

    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["lines"] = text_lines
    app.jinja_env.filters["localtime"] = local_time   # every time shown, in TIME_ZONE
    install_link_cache(app)
    install_frame_tags(app)
    install_read_only_commit(app)
    app.before_request(reject_out_of_range_numbers)
    app.before_request(refuse_control_characters)
    install_text_field_check()
    app.jinja_env.globals["status_labels"] = STATUS_LABELS
    app.jinja_env.globals["date_impossible"] = DATE_IMPOSSIBLE   # said beside a date box by zh.js
    app.jinja_env.globals["applicant_labels"] = APPLICANT_LABELS

    def session_store_down():
        """Redis unreachable: public pages go on; the rest says so (#11)."""
        if request.endpoint in OPEN_WITHOUT_SESSION_STORE or (request.endpoint or "").endswith("static"):
            return None
        if getattr(session, "store_down", False):
            return store_unavailable()
        if getattr(session, "new", False) and not getattr(session, "store_reached", False) \
                and isinstance(kv(), RedisStore):
            # The visitor brought no session id, so the store was not asked
            # yet: ask it now, before a form is shown that could never be
            # submitted (a returning visitor's lookup already asked it).
            try:
                kv().get("ping")
            except STORE_ERRORS as exc:
                return store_unavailable(exc)
        return None

    # First of all hooks: before the CSRF check, which needs the session.
    app.before_request_funcs.setdefault(None, []).insert(0, session_store_down)
    # Before that even: a Host this system does not answer to (production).
    app.before_request_funcs[None].insert(0, refuse_unknown_host)

    @app.before_request
    def assign_request_id():
        # One id per request: in audit rows, logs and as the incident number.
        request_id()

    @app.before_request
    def password_change_due():
        user = current_user
        if (
            user
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and request.endpoint not in OPEN_WHILE_PASSWORD_CHANGE_DUE
            and not (request.endpoint or "").endswith("static")
        ):
            if request.path.startswith("/api/"):
                return {"message": "请先修改临时密码"}, 403
            return redirect(url_for("AccountView.password"))
        return None

    from app.platform.health import register_health

    register_health(app)

    @app.route("/favicon.ico")
    def favicon():
        return app.send_static_file("favicon.ico")

    app.after_request(keep_redirects_local)
    app.after_request(add_security_headers)
    app.after_request(add_request_id)
    for error in STORE_ERRORS[:1]:   # the store's own errors (redis.RedisError) anywhere in a request
        app.register_error_handler(error, store_unavailable)
    # The database unreachable anywhere in a request: 503 on a page that needs no database.
    from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

    for error in (OperationalError, InterfaceError, DisconnectionError):
        app.register_error_handler(error, database_unavailable)
    from app.platform.storage import StorageError

    app.register_error_handler(StorageError, storage_unavailable)   # a bucket down or hanging: 503, not 500
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(CSRFError, handle_expired_form)   # 登录已超时: nothing typed is lost (#9)
    if not app.debug:
        app.register_error_handler(Exception, handle_unexpected_error)
