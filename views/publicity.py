"""公示 and certificates (W12–W14). The public page (no login) shows the
candidates in 公示 — 姓名, 工作单位, 申报系列, 级别, 资格名称 only — and takes
objections behind the image captcha and a rate limit. The title office enters
holidays, handles objections and revokes certificates; the holder and the title
office download the electronic certificate."""
from __future__ import annotations

import io
from datetime import date

from flask import abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

import app.review.deadlines  # noqa: F401  registers the 逾期未补正 task
from app.accounts import captcha
from app.declaration.data import Conflict
from app.platform.audit import record
from app.platform.extensions import db
from app.platform.ratelimit import allow, client_ip
from app.review.certificates import certificate_content, certificate_of, revoke
from app.review.meetings import FieldErrors
from app.review.publicity import (
    OBJECTION_STATES,
    candidates,
    current_publicities,
    file_objection,
    handle_objection,
    objection_errors,
    publicity_end,
)
from models import Account, Certificate, Declaration, Holiday, Meeting, Objection, clock
from models.identity import mask_id_number
from models.registry.fields import Invalid, parse_date
from permissions.roles import OFFICE_ROLE
from reports.content import qr_uri, verify_url
from reports.pdf import printout, refuse_when_busy


class PublicityView(BaseView):
    """The public 公示 page and the objection form."""

    route_base = "/publicity"
    default_view = "index"

    @expose("/", methods=["GET", "POST"])
    def index(self):
        errors, form, done = {}, request.form, False
        if request.method == "POST":
            if not allow("objection", client_ip(), current_app.config["RATE_LIMIT_OBJECTIONS"]):
                errors["form"] = "提交过于频繁，请稍后再试"
            else:
                # every wrong field at once, the captcha among them
                meeting_id, _, declaration_id = form.get("candidate", "").partition(":")
                meeting_id = int(meeting_id) if meeting_id.isdigit() and len(meeting_id) < 10 else 0
                declaration_id = int(declaration_id) if declaration_id.isdigit() and len(declaration_id) < 10 else 0
                errors = objection_errors(meeting_id, declaration_id, form.get("contact", ""), form.get("reason", ""))
                error = captcha.check(form.get("captcha"))
                if error:
                    errors["captcha"] = error
                if not errors:
                    try:
                        file_objection(meeting_id, declaration_id, form.get("contact", ""), form.get("reason", ""),
                                       client_ip())
                        done = True
                    except FieldErrors as exc:
                        db.session.rollback()
                        errors = exc.errors
        listed = [(meeting, end, candidates(meeting)) for meeting, end in current_publicities()]
        status = 429 if "频繁" in errors.get("form", "") else 400 if errors else 200
        return render_template("publicity.html", listed=listed, errors=errors, form={} if done else form,
                               done=done), status


def _office_only():
    if OFFICE_ROLE not in g.user.role_names:
        abort(403)


class PublicityAdminView(BaseView):
    """The title office: holidays, objections, certificates."""

    route_base = "/publicity-admin"
    default_view = "index"
    method_permission_name = {name: "publicity" for name in (
        "index", "holiday_add", "holiday_remove", "objection", "revoke_certificate")}

    @expose("/")
    @has_access
    def index(self):
        _office_only()
        meetings = db.session.scalars(select(Meeting).where(Meeting.publicity_from.is_not(None))
                                      .order_by(Meeting.publicity_from.desc())).all()
        objections = db.session.execute(
            select(Objection, Declaration, Account).join(Declaration, Declaration.id == Objection.declaration_id)
            .join(Account, Account.id == Declaration.applicant_id).order_by(Objection.id.desc())).all()
        certificates = db.session.execute(
            select(Certificate, Declaration, Account).join(Declaration, Declaration.id == Certificate.declaration_id)
            .join(Account, Account.id == Declaration.applicant_id).order_by(Certificate.id.desc())).all()
        holidays = db.session.scalars(select(Holiday).where(Holiday.day >= date(clock.today().year - 1, 1, 1))
                                      .order_by(Holiday.day)).all()
        return self.render_template(
            "publicity_admin.html", meetings=[(m, publicity_end(m), candidates(m)) for m in meetings],
            objections=objections, certificates=certificates, holidays=holidays, states=OBJECTION_STATES,
            today=clock.today())

    @expose("/holidays", methods=["POST"])
    @has_access
    def holiday_add(self):
        _office_only()
        try:
            day = parse_date(request.form.get("day", ""), "节假日日期", month_ok=False)
        except Invalid as exc:
            day, message = None, str(exc)
        else:
            message = "请选择节假日日期"
        if day is None:
            flash(message, "danger")
            return redirect(url_for(".index"))
        if db.session.get(Holiday, day):
            flash(f"{day}已是节假日", "warning")
            return redirect(url_for(".index"))
        db.session.add(Holiday(day=day, name=(request.form.get("name") or "").strip()[:50]))
        record("holiday.add", day.isoformat())
        db.session.commit()
        flash(f"已添加节假日{day}", "success")
        return redirect(url_for(".index"))

    @expose("/holidays/<day>/remove", methods=["POST"])
    @has_access
    def holiday_remove(self, day):
        _office_only()
        try:
            holiday = db.session.get(Holiday, date.fromisoformat(day))
        except ValueError:
            holiday = None
        if holiday is None:
            abort(404)
        db.session.delete(holiday)
        record("holiday.remove", day)
        db.session.commit()
        flash(f"已删除节假日{day}", "success")
        return redirect(url_for(".index"))

    @expose("/objections/<int:objection_id>", methods=["POST"])
    @has_access
    def objection(self, objection_id):
        _office_only()
        try:
            handle_objection(g.user, objection_id, request.form.get("decision", ""), request.form.get("note", ""))
            flash("已记录异议处理结果", "success")
        except Conflict as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(url_for(".index"))

    @expose("/certificates/<int:declaration_id>/revoke", methods=["POST"])
    @has_access
    def revoke_certificate(self, declaration_id):
        _office_only()
        declaration = db.session.get(Declaration, declaration_id) or abort(404)
        try:
            revoke(g.user, declaration, request.form.get("reason", ""))
            flash("证书已撤销", "success")
        except Conflict as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(url_for(".index"))


class CertificateView(BaseView):
    """The electronic certificate as an A4 PDF: for its holder and the title office."""

    route_base = "/certificate"
    method_permission_name = {"pdf": "certificate", "preview": "certificate"}

    def _context(self, declaration_id: int) -> dict:
        declaration = db.session.get(Declaration, declaration_id)
        if declaration is None or not (declaration.applicant_id == g.user.id or OFFICE_ROLE in g.user.role_names):
            abort(404)
        if certificate_of(declaration) is None:
            abort(404)
        content = certificate_content(declaration)
        return {"c": content, "qr": qr_uri(verify_url(content["number"])), "declaration": declaration,
                "mask": mask_id_number}

    @expose("/<int:declaration_id>")
    @has_access
    def preview(self, declaration_id):
        return render_template("reports/certificate.html", for_pdf=False, **self._context(declaration_id))

    @expose("/<int:declaration_id>.pdf")
    @has_access
    def pdf(self, declaration_id):
        # as every printout: kept by version, rendered on the job worker, counted against the person's limit
        refuse_when_busy(g.user.id)
        context = self._context(declaration_id)
        data = printout(declaration_id, g.user.id, "reports/certificate.html", **context)
        return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                         download_name=f"电子职称证书_{context['c']['number']}.pdf")
