"""Reviewer work areas (W5, W6): the declarations waiting for a decision and
those handled, filters, search, paging and sorting; a read-only declaration
with attachments, history and changes since the last submission; approving
and returning one or many; the Excel export; the committee's 答辩安排 import.
Every list, page, export and action goes through `visible_declarations`."""
from __future__ import annotations

import io

from flask import (
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    send_file,
    session,
    url_for,
)
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from app.declaration.data import Conflict, DeclarationData, lookups
from app.platform.audit import identifiers_read, record
from app.insight.time_limits import waiting_marks
from app.platform.extensions import db
from app.platform.storage import storage
from app.platform.web import checks_text_fields, safe_redirect
from app.review.history import history, latest_changes
from app.review.lists import (
    PAGE_SIZE,
    SORTS,
    declaration_years,
    export_query,
    list_counts,
    page_query,
    visible_declaration,
)
from app.platform.xlsx_reader import SheetRefused
from app.review.sheets import DEFENCE_HEADERS
from app.review.workflow import STATUS_LABELS, STEPS, InvalidStep, action_label, not_yet, perform, steps_for
from models import Account, Declaration, DefenceArrangement, ExportJob, Organisation, clock
from models.identity import CONTROL_CHARACTER_MESSAGE, CONTROL_RE, mask_id_number, normalise_text
from models.registry.fields import Invalid, parse_date
from permissions.roles import COMMITTEE_ROLE
from permissions.scopes import is_reviewer
from app.platform.jobs import TRACKED_TASKS, recover_stale, start_tracked
from reports.exports import (
    MIMETYPES,
    BatchRefused,
    export_now,
    sees_full_identifiers,
    start_batch_print,
    start_job,
)
from views.base import mark_saved, visible_or_404
from reports.imports import Outcome, import_defence, result_of
from reports.workbooks import write_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


_FILTER_KEYS = ("status", "series", "level", "year", "unit")


def _filters() -> dict:
    """Filter values from the query string (none of them personal data)."""
    args = request.args
    out = {key: normalise_text(args.get(key))[:20] for key in _FILTER_KEYS}
    out["tab"] = args.get("tab") if args.get("tab") in ("waiting", "handled", "all") else "waiting"
    out["sort"] = args.get("sort") if args.get("sort") in SORTS else "submitted"
    out["desc"] = args.get("desc", "1") == "1"
    return out


class ReviewView(BaseView):
    route_base = "/review"
    default_view = "index"
    # one permission, "can_review", for the whole work area
    method_permission_name = {name: "review" for name in (
        "index", "search", "show", "act", "bulk", "export", "export_job", "export_download", "defence",
        "defence_job", "defence_template", "print_batch", "export_again")}

    @expose("/")
    @has_access
    def index(self):
        _reviewers_only()
        f = _filters()
        search = session.get("review_search", "")
        refused = session.pop("review_search_refused", None)   # (what was typed, the message)
        total, waiting = list_counts(g.user, f, search)
        page = max(1, min(request.args.get("page", 1, type=int), 100_000))
        rows = db.session.execute(page_query(g.user, f, search, page)).all()
        # the unit filter is a fuzzy search (as on 个人基本信息); only the chosen unit's name is read
        unit_name = db.session.scalar(select(Organisation.name).where(Organisation.id == int(f["unit"]))) \
            if f["unit"].isdigit() and len(f["unit"]) <= 9 else None
        bulk_steps = sorted({(s.action, s.label) for s in STEPS if s.role in g.user.role_names
                             and s.role != "申报人" and not s.reason})
        return self.render_template(
            "review/list.html", rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)), f=f,
            search=search, waiting=waiting, unit_name=unit_name, labels=STATUS_LABELS, lookups=lookups(),
            mask=mask_id_number, bulk_steps=bulk_steps, is_committee=COMMITTEE_ROLE in g.user.role_names,
            years=declaration_years(), waits=waiting_marks(rows), refused=refused)

    @checks_text_fields
    @expose("/search", methods=["POST"])
    @has_access
    def search(self):
        """Name or ID number search, kept in the session: never in a URL. A
        control character is refused beside the box, which keeps the rest of
        what was typed; the list keeps the search it had."""
        _reviewers_only()
        typed = request.form.get("q") or ""
        if CONTROL_RE.search(typed):
            session["review_search_refused"] = (normalise_text(CONTROL_RE.sub("", typed))[:30],
                                                f"查询内容{CONTROL_CHARACTER_MESSAGE}")
        else:
            session["review_search"] = normalise_text(typed)[:30]
        return safe_redirect(request.form.get("back"), url_for(".index"))

    @expose("/<int:declaration_id>")
    @has_access
    def show(self, declaration_id):
        _reviewers_only()
        declaration = visible_or_404(declaration_id)
        data = DeclarationData.read(declaration)   # every section in one statement, before the template
        events = history(declaration)
        steps = steps_for(declaration, g.user)
        page = self.render_template(
            "review/show.html", data=data, declaration=declaration, lookups=lookups(), labels=STATUS_LABELS,
            action_label=action_label, events=events, changes=latest_changes(declaration, events), steps=steps,
            not_yet={s.action: not_yet(declaration, s) for s in steps},
            sections=[s for p in data.pages() for s in [p, *p.children()]
                      if not s.parent or data.child_applies(s)], defence=data.defence)
        # the page shows the full ID number and phone: on record before it leaves (no audit
        # row, no page); after rendering, so the commit expires nothing the page still reads
        identifiers_read("pii.view", f"declaration:{declaration.id}", 1)
        return page

    @expose("/<int:declaration_id>/act", methods=["POST"])
    @has_access
    def act(self, declaration_id):
        _reviewers_only()
        declaration = visible_or_404(declaration_id)
        action = request.form.get("action", "")
        version = request.form.get("version", "")
        try:
            perform(declaration, action, g.user, request.form.get("opinion", ""),
                    expected_version=int(version) if version.isdigit() else -1, due=_due(action))
            flash(f"已{_label(action)}", "success")
            mark_saved(url_for(".show", declaration_id=declaration_id))
        except Conflict as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for(".show", declaration_id=declaration_id))
        return redirect(url_for(".index"))

    @expose("/bulk", methods=["POST"])
    @has_access
    def bulk(self):
        """Approve (or receive, pass) many at once; each is its own transaction."""
        _reviewers_only()
        action = request.form.get("action", "")
        ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
        if not ids:
            flash("请先勾选申报", "warning")
            return safe_redirect(request.referrer, url_for(".index"))
        done, failed = 0, []
        for declaration_id in ids:
            declaration = visible_declaration(g.user, declaration_id)
            if declaration is None:
                failed.append(f"{declaration_id}：不存在")
                continue
            try:
                perform(declaration, action, g.user, request.form.get("opinion", ""))
                done += 1
            except Conflict as exc:
                db.session.rollback()
                failed.append(f"{declaration.applicant.first_name}：{exc}")
        flash(f"已{_label(action)}{done}条", "success" if done else "warning")
        if failed:
            flash("未处理：" + "；".join(failed), "danger")
        return safe_redirect(request.referrer, url_for(".index"))

    @expose("/export")
    @has_access
    def export(self):
        """The filtered list as an Excel file; a large one is made in the background."""
        _reviewers_only()
        f = _filters()
        search = session.get("review_search", "")
        total, _waiting = list_counts(g.user, f, search)
        identifiers_read("export.list", "declaration", total, full=sees_full_identifiers(g.user),
                         filters={k: v for k, v in f.items() if v}, search=bool(search))
        if total > current_app.config["EXPORT_BACKGROUND_ROWS"]:
            job = start_job(g.user, {"filters": f, "search": search}, total)
            return redirect(url_for(".export_job", job_id=job.id))
        rows = db.session.execute(export_query(g.user, f, search)).all()
        return send_file(io.BytesIO(export_now(g.user, rows)), as_attachment=True,
                         download_name=f"申报列表_{clock.now():%Y%m%d%H%M}.xlsx", mimetype=XLSX)

    @expose("/print-batch", methods=["POST"])
    @has_access
    def print_batch(self):
        """评审表 PDFs of the ticked declarations, made in the background as one zip."""
        _reviewers_only()
        ids = [int(i) for i in request.form.getlist("ids") if i.isdigit() and len(i) < 10]
        if not ids:
            flash("请先勾选申报", "warning")
            return safe_redirect(request.referrer, url_for(".index"))
        try:
            job = start_batch_print(g.user, ids)
        except BatchRefused as exc:
            flash(str(exc), "warning")
            return safe_redirect(request.referrer, url_for(".index"))
        identifiers_read("export.print_batch", f"export_job:{job.id}", job.total)   # 评审表 carry full IDs
        return redirect(url_for(".export_job", job_id=job.id))

    @expose("/export/<int:job_id>")
    @has_access
    def export_job(self, job_id):
        """A background job's progress (HTML, or JSON for the progress bar).
        A job whose worker died is re-queued (or failed) right here."""
        _own_job_or_404(job_id)
        recover_stale(job_id)
        job = _own_job_or_404(job_id)
        if request.accept_mimetypes.best == "application/json":
            return jsonify(status=job.status, done=job.done, total=job.total, error=job.error,
                           url=url_for(".export_download", job_id=job.id) if job.status == "done" else None)
        if job.kind == "import":
            return redirect(url_for(".defence_job", job_id=job.id))
        return self.render_template("review/export_job.html", job=job)

    @expose("/export/<int:job_id>/again", methods=["POST"])
    @has_access
    def export_again(self, job_id):
        """Start a failed job again, as a new job with the same content."""
        job = _own_job_or_404(job_id)
        if job.status != "failed":
            return redirect(url_for(".export_job", job_id=job.id))
        if job.kind == "import":   # its upload is gone: the file is chosen again
            return redirect(url_for(".defence"))
        task = TRACKED_TASKS[job.kind]
        record("export.again", f"export_job:{job.id}", after={"kind": job.kind})   # committed with the new job
        again = start_tracked(task, g.user.id, job.kind, job.criteria, job.total)
        return redirect(url_for(".export_job", job_id=again.id))

    @expose("/export/<int:job_id>/download")
    @has_access
    def export_download(self, job_id):
        job = _own_job_or_404(job_id)
        if job.status != "done" or not job.storage_key:
            abort(404)
        return send_file(io.BytesIO(storage().read(job.storage_key)), as_attachment=True,
                         download_name=job.filename, mimetype=MIMETYPES[job.kind])

    @expose("/defence", methods=["GET", "POST"])
    @has_access
    def defence(self):
        """答辩安排 import (W6): all rows right, or nothing imported; a large
        sheet is imported in the background (its page shows the progress)."""
        _committee_only()
        outcome, errors = Outcome(), []
        if request.method == "POST":
            upload = request.files.get("sheet")
            if upload is None or not upload.filename:
                errors = ["请选择要导入的Excel文件"]
            else:
                limit = current_app.config["IMPORT_MAX_BYTES"]
                try:
                    # one byte past the cap is enough to refuse; the rest is never read
                    outcome = import_defence(g.user, upload.stream.read(limit + 1))
                except SheetRefused as exc:
                    db.session.rollback()
                    errors = [str(exc)]
                if outcome.job is not None:
                    return redirect(url_for(".defence_job", job_id=outcome.job.id))
                if outcome.imported is not None:
                    flash(f"已导入{outcome.imported}条答辩安排", "success")
                    return redirect(url_for(".defence"))
                errors = errors or outcome.errors
        return self._defence_page(errors, outcome), (400 if errors else 200)

    @expose("/defence/job/<int:job_id>")
    @has_access
    def defence_job(self, job_id):
        """A background import: its progress, then what it found."""
        _committee_only()
        _own_job_or_404(job_id)
        recover_stale(job_id)
        job = _own_job_or_404(job_id)
        if job.kind != "import":
            abort(404)
        outcome = result_of(job)
        return self._defence_page(outcome.errors, outcome, job=job)

    def _defence_page(self, errors: list[str], outcome: Outcome, job=None):
        arranged = db.session.execute(
            select(DefenceArrangement, Declaration, Account)
            .join(Declaration, Declaration.id == DefenceArrangement.declaration_id)
            .join(Account, Account.id == Declaration.applicant_id)
            .where(Declaration.committee_id == g.user.org_id).order_by(DefenceArrangement.time)).all()
        cfg = current_app.config
        return self.render_template(
            "review/defence.html", errors=errors, outcome=outcome, job=job, arranged=arranged, mask=mask_id_number,
            max_rows=cfg["IMPORT_MAX_ROWS"], background_rows=cfg["IMPORT_BACKGROUND_ROWS"],
            max_mb=cfg["IMPORT_MAX_BYTES"] // (1024 * 1024))

    @expose("/defence/template.xlsx")
    @has_access
    def defence_template(self):
        _committee_only()
        buf = write_rows([DEFENCE_HEADERS], "答辩安排")
        return send_file(io.BytesIO(buf), as_attachment=True, download_name="答辩安排导入模板.xlsx", mimetype=XLSX)


def _own_job_or_404(job_id: int) -> ExportJob:
    db.session.expire_all()
    job = db.session.get(ExportJob, job_id)
    if job is None or job.account_id != g.user.id:
        abort(404)
    return job


def _committee_only():
    if COMMITTEE_ROLE not in g.user.role_names:
        abort(403)


def _reviewers_only():
    if not is_reviewer(g.user):
        abort(403)


def _due(action: str):
    """补正期限 of a return (optional); a date that is not one is refused like a past one."""
    text = request.form.get("due", "").strip()
    if action != "return" or not text:
        return None
    try:
        return parse_date(text, "补正期限", month_ok=False)
    except Invalid as exc:
        raise InvalidStep(str(exc)) from None


def _label(action: str) -> str:
    return next((s.label for s in STEPS if s.action == action), "处理")

