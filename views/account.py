"""Account pages of manual 1.1.1: login, 忘记密码？, registration
(agreement → form with SMS code → success) and 修改密码."""
from __future__ import annotations

import logging
import math
import time
from datetime import datetime, timezone

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_appbuilder import BaseView, expose, has_access
from markupsafe import Markup
from flask_appbuilder.security.views import AuthDBView
from flask_login import login_user, logout_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts import auth as accounts
from app.accounts import captcha, mfa, sms_codes
from app.platform.audit import record
from app.platform.extensions import db
from app.platform.ratelimit import allow, blocked_until, client_ip
from app.platform.web import checks_text_fields, local_url, safe_redirect
from models import Account, SiteText
from models.clock import local, today
from models.identity import mask_phone, normalise_login, normalise_text, phone_error
from views.account_forms import (
    AgreementForm,
    ChangePasswordForm,
    ForgotForm,
    LoginForm,
    MfaForm,
    RegisterForm,
)

log = logging.getLogger(__name__)
TOO_MANY = "操作过于频繁，请稍后再试"


def clock(until: float) -> str:
    """When a lock ends, as people say it: 14:05 today, else 12月8日08:00.
    Every lock's message names its end (one with no end in sight reads as broken)."""
    moment = local(datetime.fromtimestamp(math.ceil(until / 60) * 60, timezone.utc))   # never a minute still locked
    return moment.strftime("%H:%M") if moment.date() == today() else \
        f"{moment.month}月{moment.day}日{moment:%H:%M}"


def sms_quota_message(until: float) -> str:
    return f"短信发送次数过多，请于{clock(until)}后再试"


def send_counted(purpose: str, phone: str, send) -> tuple[str | None, int]:
    """Send an SMS under the once-a-minute rule and the per-phone quota; only a
    message that goes out counts against the quota (a refused click never does).
    Returns (error message or None, seconds to wait before the next try)."""
    limits = current_app.config["RATE_LIMIT_SMS_PER_PHONE"]
    until = blocked_until("sms-phone", phone, limits)
    if until is not None:
        return sms_quota_message(until), max(1, int(until - time.time()))
    error = send()
    if error:
        return error, sms_codes.seconds_until_resend(purpose, phone)
    allow("sms-phone", phone, limits)
    return None, current_app.config["SMS_RESEND_SECONDS"]
FORGOT_RECENT = "如果该身份证号已注册，短信已于1分钟内发送，请查收；如需重新发送，请{seconds}秒后再试"
FORGOT_SENT = "如果该身份证号已注册，临时密码已发送至注册时填写的手机号，30分钟内有效。请使用临时密码登录后立即修改密码。"


MFA_PENDING = "mfa_pending"
MFA_SECONDS = 300


def finish_login(user, target):
    login_user(user, remember=False)
    if user.must_change_password:
        flash("您使用了临时密码登录，请先修改密码", "warning")
        return redirect(url_for("AccountView.password"))
    return safe_redirect(target, url_for("HomeView.index"))


def login_allowed(username) -> bool:
    """Per account first; the per-IP limit is a high ceiling only (#9 item 10)."""
    cfg = current_app.config
    account = normalise_login(username if isinstance(username, str) else "") or "-"
    return allow("login-ip", client_ip(), cfg["RATE_LIMIT_LOGIN_PER_IP"]) and \
        allow("login", account, cfg["RATE_LIMIT_LOGIN"])


def form_allowed(scope: str) -> bool:
    """Per session (a visitor who solves captchas), under a per-IP ceiling."""
    cfg = current_app.config
    return allow(f"{scope}-ip", client_ip(), cfg["RATE_LIMIT_FORMS_PER_IP"]) and \
        allow(scope, getattr(session, "sid", None) or client_ip(), cfg["RATE_LIMIT_FORMS"])


def render_auth(template, status=200, form=None, **context):
    if form is not None and status >= 400 and "captcha" in form:
        form.captcha.data = ""  # a captcha answer is used once; a new image is shown
    return Response(render_template(template, appbuilder=current_app.appbuilder, form=form, **context),
                    status=status)


class AuthView(AuthDBView):
    """Login, logout, 忘记密码？ and the captcha image."""

    @checks_text_fields
    @expose("/login/", methods=["GET", "POST"])
    def login(self):
        if g.user is not None and g.user.is_authenticated:
            return safe_redirect(request.args.get("next"), url_for("HomeView.index"))
        form = LoginForm()
        status = 200
        if request.method == "POST":
            if not login_allowed(request.form.get("username")):
                form.validate()
                form.captcha.errors = [TOO_MANY]
                status = 429
            elif form.validate():
                error = captcha.check(form.captcha.data)
                if error:
                    form.captcha.errors = [error]
                else:
                    user, error = accounts.authenticate(form.username.data, form.password.data)
                    if user:
                        session.regenerate()  # a new session id at login (no fixation)
                        target = request.args.get("next")
                        if mfa.required_for(user):
                            # The password was right; the second factor decides (#10 item 5).
                            session[MFA_PENDING] = {"uid": user.id, "t": time.time(), "next": target}
                            return redirect(url_for("MfaView.verify" if mfa.can_verify(user) else "MfaView.enroll"))
                        return finish_login(user, target)
                    form.password.errors = [error]
            status = status if status != 200 else 400
        return render_auth("account/login.html", status=status, form=form)

    @expose("/logout/", methods=["POST"])
    def logout(self):
        user_id = getattr(g.user, "id", None)
        logout_user()
        session.clear()  # the stored session is deleted; old cookies are worthless
        if user_id:
            log.info("Account %s logged out", user_id)
        flash("您已安全退出", "info")
        return redirect(url_for("AuthView.login"))

    @checks_text_fields
    @expose("/forgot/", methods=["GET", "POST"])
    def forgot(self):
        """忘记密码？: the same answer whether or not the ID is registered."""
        form = ForgotForm()
        if request.method == "POST":
            if not form_allowed("forgot"):
                form.validate()
                form.captcha.errors = [TOO_MANY]
                return render_auth("account/forgot.html", status=429, form=form)
            if form.validate():
                error = captcha.check(form.captcha.data)
                if error:
                    form.captcha.errors = [error]
                else:
                    wait = accounts.forgot_password(form.username.data)
                    if not wait:
                        flash(FORGOT_SENT, "success")
                        return redirect(url_for("AuthView.login"))
                    form.username.errors = [FORGOT_RECENT.format(seconds=wait)]
                    return render_auth("account/forgot.html", status=429, form=form)
            return render_auth("account/forgot.html", status=400, form=form)
        return render_auth("account/forgot.html", form=form)

    @expose("/captcha.png")
    def captcha_image(self):
        if not allow("captcha", client_ip(), current_app.config["RATE_LIMIT_CAPTCHA"]):
            abort(429)
        return Response(captcha.new_challenge(), mimetype="image/png", headers={"Cache-Control": "no-store"})


class MfaView(BaseView):
    """动态验证码: the second step of a staff login, and the binding of an
    authenticator app (QR code, then ten recovery codes shown once).

    The pending login (MFA_PENDING in the server-side session) records what
    this login has done: "sms" (a code was sent), "enrol" (binding was asked
    for), "passed" (the existing factor was given). Every route reads it, so
    no step is reachable before the one it follows."""

    route_base = "/mfa"
    default_view = "verify"

    @staticmethod
    def _pending() -> Account:
        """The person between the password and the second factor; back to
        the login page when that step has expired."""
        pending = session.get(MFA_PENDING)
        fresh = pending and time.time() - pending["t"] <= MFA_SECONDS
        user = db.session.get(Account, pending["uid"]) if fresh else None
        if user is None:
            session.pop(MFA_PENDING, None)
            flash("登录已超时，请重新登录", "warning")
            abort(redirect(url_for("AuthView.login")))
        return user

    @staticmethod
    def _note(**changes) -> dict:
        pending = dict(session[MFA_PENDING], **changes)
        session[MFA_PENDING] = pending
        return pending

    @staticmethod
    def _sign_in(user):
        target = session.pop(MFA_PENDING)["next"]
        session.regenerate()
        return finish_login(user, target)

    @expose("/verify", methods=["GET", "POST"])
    def verify(self):
        user = self._pending()
        pending = session[MFA_PENDING]
        if pending.get("passed"):
            # The factor was given and binding was offered; the person goes on without it.
            return self._sign_in(user)
        if not mfa.can_verify(user):
            return redirect(url_for("MfaView.enroll"))
        if request.args.get("enrol") and mfa.may_enroll(user, factor_passed=True):
            pending = self._note(enrol=True)
        form = MfaForm()
        sms_sent = bool(pending.get("sms"))
        if form.validate_on_submit():
            if mfa.verify(user, form.code.data, sms=sms_sent):
                if pending.get("enrol") and mfa.may_enroll(user, factor_passed=True):
                    # Binding follows the factor just given, within this same login.
                    self._note(passed=True, t=time.time())
                    return redirect(url_for("MfaView.enroll"))
                return self._sign_in(user)
            until = mfa.locked_until(user)
            form.code.errors = [f"验证码错误次数过多，请于{clock(until)}后再试" if until else "验证码错误或已使用"]
        return render_auth("account/mfa_verify.html", form=form, status=400 if form.errors else 200,
                           totp=mfa.enrolled(user), sms=mfa.sms_possible(user), sms_sent=sms_sent,
                           enrol=bool(pending.get("enrol")), phone=mask_phone(user.phone))

    @expose("/sms", methods=["POST"])
    def sms(self):
        """发送短信验证码: the login's second factor by SMS to the phone on record."""
        user = self._pending()
        if not mfa.sms_possible(user):
            abort(404)
        error, _wait = send_counted(mfa.SMS_PURPOSE, user.phone, lambda: mfa.send_sms_code(user))
        if error:
            flash(error, "warning")
        else:
            self._note(sms=True)
            flash(f"短信验证码已发送至{mask_phone(user.phone)}，"
                  f"{current_app.config['SMS_CODE_TTL_SECONDS'] // 60}分钟内有效", "success")
        return redirect(url_for("MfaView.verify"))

    @expose("/enroll", methods=["GET", "POST"])
    def enroll(self):
        user = self._pending()
        if mfa.enrolled(user):
            return redirect(url_for("MfaView.verify"))
        passed = bool(session[MFA_PENDING].get("passed"))
        if not mfa.may_enroll(user, factor_passed=passed):
            # Opened before the SMS code of this login was given: refused, and
            # binding is offered after that code.
            record("mfa.enroll_refused", f"ab_user:{user.id}", actor=user)
            db.session.commit()
            self._note(enrol=True)
            flash("请先完成短信验证，验证通过后再绑定身份验证器", "warning")
            return redirect(url_for("MfaView.verify"))
        # The new secret belongs to this pending login only.
        secret = session[MFA_PENDING].get("secret") or mfa.new_secret()
        self._note(secret=secret)
        form = MfaForm()
        if form.validate_on_submit():
            codes = mfa.enroll(user, secret, form.code.data, factor_passed=passed)
            if codes:
                target = session.pop(MFA_PENDING)["next"]
                session.regenerate()
                login_user(user, remember=False)
                return render_auth("account/mfa_codes.html", codes=codes,
                                   next_url=url_for("AccountView.password") if user.must_change_password
                                   else local_url(target, url_for("HomeView.index")))
            form.code.errors = ["动态验证码错误，请核对手机时间后重新输入"]
        # The SVG is made by segno from our own otpauth URI, not from user input.
        qr = Markup(mfa.qr_svg(user, secret))  # nosec B704 - markup generated by segno, no user text in it
        return render_auth("account/mfa_enroll.html", form=form, qr=qr, sms=mfa.sms_possible(user),
                           passed=passed, secret=secret, status=400 if form.errors else 200)


class RegisterView(BaseView):
    """还没有账号？点击这里注册 → agreement → form → success."""

    route_base = "/register"
    default_view = "agreement"

    @expose("/", methods=["GET", "POST"])
    def agreement(self):
        form = AgreementForm()
        if form.validate_on_submit():
            session["agreed"] = True
            return redirect(url_for("RegisterView.form"))
        text = db.session.get(SiteText, "agreement")
        return render_auth("account/agreement.html", form=form, agreement=text,
                           status=400 if request.method == "POST" else 200)

    @checks_text_fields
    @expose("/form", methods=["GET", "POST"])
    def form(self):
        if not session.get("agreed"):
            flash("请先阅读并同意申报协议", "warning")
            return redirect(url_for("RegisterView.agreement"))
        form = RegisterForm()
        if request.method == "GET":
            return render_auth("account/register.html", form=form)
        if not form_allowed("register"):
            form.validate()
            form.sms_code.errors = [TOO_MANY]
            return render_auth("account/register.html", form=form, status=429)
        valid = form.validate()
        # The captcha first, then the SMS code; only then may the page say
        # that an ID or phone is already registered (#10 item 2).
        if form.captcha.data:
            error = captcha.check(form.captcha.data)
            if error:
                form.captcha.errors = list(form.captcha.errors) + [error]
                valid = False
        code_ok = False
        if valid and form.sms_code.data:
            error = sms_codes.check_code("register", form.phone.data, form.sms_code.data, consume=False)
            if error:
                form.sms_code.errors = list(form.sms_code.errors) + [error]
                valid = False
            else:
                code_ok = True
        if valid and code_ok:
            valid = self._check_unique(form)
        if valid:
            # Only a form that is right in every respect uses the code up.
            error = sms_codes.check_code("register", form.phone.data, form.sms_code.data, consume=True)
            if error:
                form.sms_code.errors = [error]
                valid = False
        if not valid:
            return render_auth("account/register.html", form=form, status=400)
        try:
            accounts.create_applicant(form.name.data, form.id_number.data, form.email.data.lower(),
                                      form.phone.data, form.password.data)
        except IntegrityError:
            db.session.rollback()
            self._check_unique(form)  # someone registered the same ID/phone meanwhile
            return render_auth("account/register.html", form=form, status=400)
        session.pop("agreed", None)
        session["registered"] = True
        return redirect(url_for("RegisterView.success"))

    @expose("/sms", methods=["POST"])
    def sms(self):
        """获取手机验证码: needs a right image captcha; one send a minute per phone."""
        phone = normalise_text(request.form.get("phone"))
        error = phone_error(phone)
        if error:
            return jsonify(ok=False, field="phone", message=error), 400
        # Only a request with the right captcha counts against the phone's
        # quota (#10 item 3); the per-IP limit is a high ceiling.
        if not allow("sms-ip", client_ip(), current_app.config["RATE_LIMIT_SMS_PER_IP"]):
            return jsonify(ok=False, field="sms_code", message=TOO_MANY), 429
        error = captcha.check(request.form.get("captcha"), keep=True)
        if error:
            return jsonify(ok=False, field="captcha", message=error), 400
        def send():
            if db.session.scalar(select(Account.id).where(Account.phone_is(phone))):
                # The same answer as for a free number (#10 item 2); the owner
                # learns by SMS that someone tried to register with it.
                return sms_codes.send_notice("register", phone,
                                             "有人尝试使用您的手机号注册职称申报账号。该手机号已注册，如忘记密码请使用“忘记密码”。")
            return sms_codes.send_code("register", phone)
        error, wait = send_counted("register", phone, send)
        if error:
            return jsonify(ok=False, field="sms_code", message=error, wait=wait), 429
        return jsonify(ok=True, message="验证码已发送，3分钟内有效", wait=wait)

    @expose("/success")
    def success(self):
        if not session.pop("registered", None):
            return redirect(url_for("AuthView.login"))
        return render_auth("account/register_success.html")

    @staticmethod
    def _check_unique(form) -> bool:
        ok = True
        taken = db.session.execute(
            select(Account.id_number, Account.phone, Account.email).where(
                Account.id_number_is(form.id_number.data) | (Account.username == form.id_number.data)
                | Account.phone_is(form.phone.data) | (Account.email == form.email.data.lower())
            )
        ).all()
        if any(row.id_number == form.id_number.data for row in taken):
            form.id_number.errors = list(form.id_number.errors) + ["该身份证号已注册，请直接登录或使用忘记密码"]
            ok = False
        if any(row.phone == form.phone.data for row in taken):
            form.phone.errors = list(form.phone.errors) + ["该手机号已注册，每个手机号只能注册一次"]
            ok = False
        if any((row.email or "").lower() == form.email.data.lower() for row in taken):
            form.email.errors = list(form.email.errors) + ["该邮箱已被注册"]
            ok = False
        return ok


class AccountView(BaseView):
    """修改密码 from the name menu (A8); also where a temporary password leads."""

    route_base = "/account"
    default_view = "password"

    @checks_text_fields
    @expose("/password", methods=["GET", "POST"])
    @has_access
    def password(self):
        user = db.session.get(Account, g.user.id)
        form = ChangePasswordForm()
        if user.must_change_password:
            # Logged in with a temporary password just now: that was the proof.
            del form.old_password
        status = 200
        if request.method == "POST":
            status = 400
            if not allow("password", f"user:{user.id}", current_app.config["RATE_LIMIT_FORMS"]):
                form.validate()
                form.new_password.errors = [TOO_MANY]
                status = 429
            else:
                # every wrong field at once: the old password is checked even when the new one is wrong
                valid = form.validate()
                old = form.old_password.data if "old_password" in form else None
                if old and not accounts.verify_password(user, old):
                    form.old_password.errors = [*form.old_password.errors, "原密码不正确"]
                    valid = False
                elif old and form.new_password.data == old and not form.new_password.errors:
                    form.new_password.errors = [*form.new_password.errors, "新密码不能与原密码相同"]
                    valid = False
                if valid:
                    accounts.change_password(user, form.new_password.data)
                    flash("密码修改成功", "success")
                    return redirect(url_for("HomeView.index"))
        return self.render_template("account/password.html", form=form), status
