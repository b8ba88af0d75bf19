"""个人信息申报 (manual 1.1.2): the applicant's pages, rows, attachments and
the completeness check. Every page, row and file is looked up within the
applicant's own declaration: another person's id answers 404."""
from __future__ import annotations

import io

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from app.declaration import attachments as files
from app.declaration.carry_over import copy_previous
from app.declaration.completeness import completeness
from app.declaration.data import (
    Conflict,
    DeclarationData,
    SaveResult,
    clear_single,
    delete_row,
    find_declaration,
    lookups,
    new_declaration,
    save_row,
    save_single,
    stamp_of,
)
from app.declaration.uploads import UploadRefused
from app.platform.storage import SAVE_FAILED, StorageError
from app.platform.extensions import db
from app.platform.ratelimit import allow
from app.platform.web import checks_text_fields
from app.review.archive import personal_data_archive
from app.review.history import history
from app.review import pledge
from app.review.certificates import applicant_records
from app.review.deadlines import return_notice
from app.review.workflow import APPLICANT_LABELS, STATUS_LABELS, action_label, perform
from models import Attachment, Declaration
from models.registry import BY_KEY
from permissions.roles import APPLICANT_ROLE
from views.base import mark_saved


def own_declaration(create: bool = False) -> Declaration | None:
    """This year's declaration of the person logged in (applicants only:
    reviewers and administrators hold the permission through other roles)."""
    if APPLICANT_ROLE not in g.user.role_names:
        abort(403)
    declaration = find_declaration(g.user.id)
    if declaration is None and create:
        declaration = new_declaration(g.user)
    return declaration


class DeclarationView(BaseView):
    route_base = "/declaration"
    default_view = "index"
    # One permission, "can_declare", for every screen of the applicant's declaration.
    method_permission_name = {name: "declare" for name in (
        "index", "page", "new_row", "edit_row", "remove_row", "clear", "check", "upload", "remove_file", "submit",
        "flow", "my_data", "copy_previous")}

    # -- pages -------------------------------------------------------------

    @expose("/")
    @has_access
    def index(self):
        return redirect(url_for(".page", key="basic"))

    @checks_text_fields
    @expose("/<key>", methods=["GET", "POST"])
    @has_access
    def page(self, key):
        declaration = own_declaration(create=(key == "basic"))
        if declaration is None:
            flash("请先填写并保存个人基本信息", "warning")
            return redirect(url_for(".page", key="basic"))
        # a page to show reads every section in one statement, before the template; a save
        # reads only what its checks ask for
        data = DeclarationData(declaration) if request.method == "POST" else DeclarationData.read(declaration)
        section = self._page_or_404(data, key)
        if section.many:
            if request.method == "POST":
                abort(405)
            return self._render_rows(data, section)
        result = SaveResult()
        if request.method == "POST":
            try:
                result = save_single(declaration, section, request.form, data)
            except Conflict as exc:
                result.errors["_form"] = str(exc)
            if result.ok:
                flash("保存成功", "success")
                mark_saved(request.path)
                return redirect(url_for(".page", key=key))
            data = DeclarationData.read(declaration)
        return self._render_single(data, section, result)

    @checks_text_fields
    @expose("/<key>/new", methods=["GET", "POST"])
    @has_access
    def new_row(self, key):
        declaration = self._existing_or_redirect()
        if isinstance(declaration, Response):
            return declaration
        data = DeclarationData(declaration)
        section = self._rows_or_404(data, key)
        return self._row_form(data, section, None)

    @checks_text_fields
    @expose("/<key>/<int:row_id>", methods=["GET", "POST"])
    @has_access
    def edit_row(self, key, row_id):
        declaration = self._existing_or_404()
        data = DeclarationData(declaration)
        section = self._rows_or_404(data, key)
        return self._row_form(data, section, self._row_or_404(data, section, row_id))

    @expose("/<key>/<int:row_id>/delete", methods=["POST"])
    @has_access
    def remove_row(self, key, row_id):
        declaration = self._existing_or_404()
        data = DeclarationData(declaration)
        section = self._rows_or_404(data, key)
        row = self._row_or_404(data, section, row_id)
        try:
            files.remove_files(delete_row(declaration, section, row))
            flash("删除成功", "success")
        except Conflict as exc:
            flash(str(exc), "danger")
        return redirect(url_for(".page", key=section.parent or section.key))

    @expose("/<key>/clear", methods=["POST"])
    @has_access
    def clear(self, key):
        declaration = self._existing_or_404()
        section = self._page_or_404(DeclarationData(declaration), key)
        if not section.clearable:
            abort(404)
        try:
            files.remove_files(clear_single(declaration, section))
            flash(f"{section.title}已清空", "success")
        except Conflict as exc:
            flash(str(exc), "danger")
        return redirect(url_for(".page", key=key))

    @expose("/check")
    @has_access
    def check(self):
        declaration = self._existing_or_redirect()
        if isinstance(declaration, Response):
            return declaration
        data = DeclarationData(declaration)
        reports = completeness(data)
        return self.render_template("declaration/check.html", data=data, reports=reports,
                                    complete=not any(r.gaps for r in reports), active="check",
                                    lookups=lookups(), gap_url=gap_url)

    @expose("/submit", methods=["POST"])
    @has_access
    def submit(self):
        """提交 (W1): refused while the completeness check is not empty or the year is not open."""
        declaration = self._existing_or_404()
        try:
            pledge.confirm(declaration, g.user, request.form.get("pledge"))
            perform(declaration, "submit", g.user, expected_version=_version(request.form))
            flash("提交成功。申报已锁定，等待单位审核；可在“审批流程”中查看进度。", "success")
            return redirect(url_for(".flow"))
        except Conflict as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for(".page", key="basic") if "诚信承诺书" in str(exc) else url_for(".check"))

    @expose("/copy-previous", methods=["POST"])
    @has_access
    def copy_previous(self):
        """从上一年度复制 (B7): this year's declaration from a copy of the latest earlier one."""
        own_declaration()
        try:
            report = copy_previous(g.user)
        except Conflict as exc:
            flash(str(exc), "danger")
            return redirect(url_for("HomeView.index"))
        if report is None:
            flash("没有可复制的以往年度申报", "warning")
            return redirect(url_for("HomeView.index"))
        message = f"已从{report.source_year}年度申报复制：{'、'.join(report.copied) or '无'}（附件{report.files}个）。"
        if report.kept:
            message += f"以下内容本年度已填写，保持不变：{'、'.join(report.kept)}。"
        flash(message + "请逐页核对并按本年度情况修改。", "success")
        return redirect(url_for(".page", key="basic"))

    @expose("/flow")
    @has_access
    def flow(self):
        """审批流程 (W4): every step with organisation, action, opinion and time."""
        declaration = self._existing_or_redirect()
        if isinstance(declaration, Response):
            return declaration
        data = DeclarationData(declaration)
        return self.render_template("declaration/flow.html", data=data, events=history(declaration),
                                    active="flow", lookups=lookups(), labels=APPLICANT_LABELS, action_label=action_label,
                                    notice=return_notice(declaration),
                                    defence=data.defence, records=applicant_records(g.user))

    @expose("/my-data.zip")
    @has_access
    def my_data(self):
        """下载我的数据 (B8, PIPL): everything the system holds about the applicant."""
        own_declaration()
        return send_file(io.BytesIO(personal_data_archive(g.user)), mimetype="application/zip", as_attachment=True,
                         download_name="我的申报数据.zip")

    # -- attachments -------------------------------------------------------

    @expose("/files", methods=["POST"])
    @has_access
    def upload(self):
        declaration = own_declaration()
        if declaration is None:
            return jsonify(ok=False, message="请先填写并保存个人基本信息"), 400
        row = request.form.get("row") or None
        upload = request.files.get("file")
        if upload is None:
            return jsonify(ok=False, message="请选择要上传的图片"), 400
        if not allow("upload", str(g.user.id), current_app.config["RATE_LIMIT_UPLOADS"]):
            return jsonify(ok=False, message="上传次数过多，请一小时后再试"), 429
        try:
            # The stream, not its bytes: a large photo is read by the decoder, not copied.
            attachment = files.add_attachment(
                declaration, request.form.get("section", ""), request.form.get("kind", ""),
                int(row) if row and row.isdigit() else None, upload.stream, upload.filename)
        except UploadRefused as exc:
            return jsonify(ok=False, message=str(exc)), 400
        except Conflict as exc:
            return jsonify(ok=False, message=str(exc)), 409
        except StorageError:
            current_app.logger.exception("Attachment could not be stored")
            return jsonify(ok=False, message=SAVE_FAILED), 503
        return jsonify(ok=True, message="上传成功", attachment=attachment_json(attachment))

    @expose("/file/<int:attachment_id>/delete", methods=["POST"])
    @has_access
    def remove_file(self, attachment_id):
        own_declaration()
        attachment = self._attachment_or_404(attachment_id)
        declaration = db.session.get(Declaration, attachment.declaration_id)
        try:
            files.delete_attachment(declaration, attachment)
        except Conflict as exc:
            return jsonify(ok=False, message=str(exc)), 409
        return jsonify(ok=True, message="已删除")

    # -- helpers -----------------------------------------------------------

    def _existing_or_redirect(self):
        declaration = own_declaration()
        if declaration is None:
            flash("请先填写并保存个人基本信息", "warning")
            return redirect(url_for(".page", key="basic"))
        return declaration

    def _existing_or_404(self) -> Declaration:
        return own_declaration() or abort(404)

    @staticmethod
    def _page_or_404(data, key):
        section = BY_KEY.get(key)
        if section is None or section.parent or section.key not in {p.key for p in data.pages()}:
            abort(404)
        return section

    def _rows_or_404(self, data, key):
        section = BY_KEY.get(key)
        if section is None or not section.many:
            abort(404)
        self._page_or_404(data, section.parent or key)
        if section.parent and not data.child_applies(section):
            abort(404)
        return section

    @staticmethod
    def _row_or_404(data, section, row_id):
        return next((r for r in data.rows(section.key) if r.id == row_id), None) or abort(404)

    @staticmethod
    def _attachment_or_404(attachment_id) -> Attachment:
        attachment = db.session.scalar(
            select(Attachment).join(Declaration, Declaration.id == Attachment.declaration_id)
            .where(Attachment.id == attachment_id, Declaration.applicant_id == g.user.id))
        return attachment or abort(404)

    def _row_form(self, data, section, row):
        result = SaveResult()
        if request.method == "POST":
            try:
                result = save_row(data.declaration, section, request.form, row)
            except Conflict as exc:
                result.errors["_form"] = str(exc)
            if result.ok:
                flash("保存成功", "success")
                mark_saved(request.path)
                if request.form.get("next") == "new":
                    return redirect(url_for(".new_row", key=section.key))
                return redirect(url_for(".page", key=section.parent or section.key))
        status = 400 if request.method == "POST" else 200
        values = data.values(section.key, row) if row is not None else {}
        return self.render_template(
            "declaration/row_form.html", data=data, section=section, row=row, values=values, result=result,
            active=section.parent or section.key, lookups=lookups(), stamp=stamp_of(row)), status

    def _render_single(self, data, section, result):
        status = 400 if request.method == "POST" else 200
        defence = data.defence if section.key == "health" else None
        return self.render_template(
            "declaration/single.html", data=data, section=section, values=data.values(section.key),
            result=result, active=section.key, lookups=lookups(), hints=_hints(data, section),
            labels=STATUS_LABELS, defence=defence, stamp=stamp_of(data.single(section.key)),
            committee_pairs=committee_pairs() if section.key == "basic" else None, no_committee=NO_COMMITTEE,
            pledge=pledge.to_show() if section.key == "basic" else None, pledge_version=pledge.version_of), status

    def _render_rows(self, data, section):
        return self.render_template("declaration/rows.html", data=data, section=section, active=section.key,
                                    lookups=lookups(), hints=_hints(data, section))


def _version(form) -> int | None:
    value = form.get("version", "")
    return int(value) if value.isdigit() else None


def gap_url(section, gap) -> str:
    """Where to fix one gap of the completeness report."""
    page = url_for("DeclarationView.page", key=section.parent or section.key)
    if gap.row_id and section.many:
        if gap.anchor.startswith("att-"):
            return f"{page}#row-{section.key}-{gap.row_id}"
        return url_for("DeclarationView.edit_row", key=section.key, row_id=gap.row_id) + f"#group-{gap.anchor}"
    if gap.anchor.startswith("att-"):
        return f"{page}#{gap.anchor}"
    if gap.anchor == "rows":
        return f"{page}#rows-{section.key}"
    if gap.anchor == "form":
        return page
    return f"{page}#group-{gap.anchor}"


def _hints(data, section):
    out = []
    for s in [section, *section.children()]:
        for hint in s.hints:
            out += hint(data)
    basic = data.single("basic") if section.key == "basic" else None
    if basic is not None and basic.series and basic.level \
            and (basic.series, basic.level) not in lookups().committee_pairs:
        out.append(("level", NO_COMMITTEE))
    return out


NO_COMMITTEE = "暂无评委会评审所选的专业技术系列和级别，提交将被拒绝；请核对系列和级别，或联系职称办"


def committee_pairs() -> list[str]:
    """"series|level" of every choice some active committee handles, for the hint in the browser."""
    return sorted(f"{series}|{level}" for series, level in lookups().committee_pairs)


def attachment_json(a: Attachment) -> dict:
    return {"id": a.id, "name": a.original_name, "size": a.size, "width": a.width, "height": a.height,
            "url": url_for("AttachmentView.file", attachment_id=a.id),
            "delete_url": url_for("DeclarationView.remove_file", attachment_id=a.id)}
