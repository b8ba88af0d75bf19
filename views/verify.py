"""Certificate verification (B6), public: 证书编号 + 姓名 → valid or not, with
personal data masked. The QR code on the printouts leads here."""
from __future__ import annotations

from flask import current_app, render_template, request
from flask_appbuilder import BaseView, expose
from sqlalchemy import select

from app.declaration.data import DeclarationData, lookups
from app.platform.extensions import csrf, db
from app.platform.ratelimit import allow, client_ip
from app.platform.web import checks_text_fields
from models import Account, Certificate, Declaration, ReviewEvent
from models.identity import CONTROL_CHARACTER_MESSAGE, CONTROL_RE, normalise_text


def mask_name(name: str) -> str:
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# A public, read-only lookup: it changes nothing, so it needs no CSRF token —
# and so it keeps working when the session store (Redis) is down (#11).
csrf.exempt("views.verify.index")


class VerifyView(BaseView):
    route_base = "/verify"
    default_view = "index"

    @checks_text_fields
    @expose("/", methods=["GET", "POST"])
    def index(self):
        number = normalise_text(request.values.get("no"))[:30]
        name = normalise_text(request.form.get("name"))[:30]
        result, error = None, None
        if request.method == "POST":
            if not allow("verify", client_ip(), current_app.config["RATE_LIMIT_FORMS"]):
                error = "查询过于频繁，请稍后再试"
            elif CONTROL_RE.search((request.values.get("no") or "") + (request.form.get("name") or "")):
                error = f"证书编号和姓名{CONTROL_CHARACTER_MESSAGE}"
                number, name = CONTROL_RE.sub("", number), CONTROL_RE.sub("", name)
            elif not number or not name:
                error = "请输入证书编号和姓名"
            else:
                result = find_certificate(number, name)
        return render_template("verify.html", number=number, name=name, result=result, error=error,
                               searched=request.method == "POST" and not error), (429 if error and "频繁" in error
                                                                                  else 200)


def find_certificate(number: str, name: str) -> dict | None:
    if "\x00" in number + name:   # PostgreSQL refuses NUL in a text parameter: no such certificate
        return None
    row = db.session.execute(
        select(Declaration, Account).join(Account, Account.id == Declaration.applicant_id)
        .where(Declaration.certificate_no == number, Declaration.status == "approved", Account.first_name == name)
    ).first()
    if row is None:
        return None
    declaration, account = row
    approved = db.session.scalar(select(ReviewEvent.created_at).where(
        ReviewEvent.declaration_id == declaration.id, ReviewEvent.to_status == "approved")
        .order_by(ReviewEvent.id.desc()))
    lk = lookups()
    basic = DeclarationData(declaration).single("basic")
    certificate = db.session.scalar(select(Certificate).where(Certificate.declaration_id == declaration.id))
    revoked = certificate is not None and certificate.revoked_at is not None
    return {"revoked": revoked, "revoked_on": certificate.revoked_at.strftime("%Y-%m-%d") if revoked else "",
            "revoke_reason": certificate.revoke_reason if revoked else "",
            "number": declaration.certificate_no, "name": mask_name(account.first_name),
            "series": lk.name("title_series", declaration.series), "level": lk.name("title_level", declaration.level),
            "title": lk.name("title_name", basic.title) if basic else "", "year": declaration.year,
            "approved": approved.strftime("%Y-%m-%d") if approved else ""}
