"""打印简表, 打印评审表, 答辩通知单 (P1–P3): a preview in the browser, then the
PDF (and for the 评审表 the Excel file). Whoever may see the declaration may
print it: the applicant, and reviewers within their scope."""
from __future__ import annotations

import io

from flask import Response, abort, g, render_template, request, send_file
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from app.platform.audit import identifiers_read
from app.platform.extensions import db
from app.review.workflow import STATUS_LABELS
from models import Declaration, DefenceArrangement, Organisation, clock
from models.identity import mask_id_number
from permissions.scopes import identity_visible
from reports.content import print_context
from reports.pdf import printout, refuse_when_busy
from reports.workbooks import review_form_workbook
from views.base import visible_or_404

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _context(declaration: Declaration) -> dict:
    # an expert judges the work, not the person: their copy shows the ID number masked
    identity = db.session.scalar(select(Declaration.id).where(Declaration.id == declaration.id,
                                                              identity_visible(g.user))) is not None
    context = print_context(declaration, identity) or abort(404)
    # A printout carries the full ID number: every one is an audited export
    # (one's own aside).
    if declaration.applicant_id != g.user.id:
        identifiers_read("export.print", f"declaration:{declaration.id}", 1, form=request.endpoint)
    return context


def _pdf(data: bytes, name: str) -> Response:
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name)


class PrintView(BaseView):
    route_base = "/print"
    method_permission_name = {name: "print" for name in (
        "summary", "summary_pdf", "review", "review_pdf", "review_xlsx", "defence", "defence_pdf")}

    @expose("/<int:declaration_id>/summary")
    @has_access
    def summary(self, declaration_id):
        return render_template("reports/summary.html", for_pdf=False, **_context(visible_or_404(declaration_id)))

    @expose("/<int:declaration_id>/summary.pdf")
    @has_access
    def summary_pdf(self, declaration_id):
        refuse_when_busy(g.user.id)
        context = _context(visible_or_404(declaration_id))
        return _pdf(printout(declaration_id, g.user.id, "reports/summary.html", **context),
                    f"{context['h']['name']}_简表.pdf")

    @expose("/<int:declaration_id>/review")
    @has_access
    def review(self, declaration_id):
        return render_template("reports/review_form.html", for_pdf=False,
                               **_context(visible_or_404(declaration_id)))

    @expose("/<int:declaration_id>/review.pdf")
    @has_access
    def review_pdf(self, declaration_id):
        refuse_when_busy(g.user.id)
        context = _context(visible_or_404(declaration_id))
        return _pdf(printout(declaration_id, g.user.id, "reports/review_form.html", **context),
                    f"{context['h']['name']}_评审表.pdf")

    @expose("/<int:declaration_id>/review.xlsx")
    @has_access
    def review_xlsx(self, declaration_id):
        c = _context(visible_or_404(declaration_id))
        data = review_form_workbook(c["h"], c["blocks"], c["events"], STATUS_LABELS)
        return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                         download_name=f"{c['h']['name']}_评审表.xlsx")

    @expose("/<int:declaration_id>/defence")
    @has_access
    def defence(self, declaration_id):
        return render_template("reports/defence_notice.html", for_pdf=False,
                               **_defence_context(visible_or_404(declaration_id)))

    @expose("/<int:declaration_id>/defence.pdf")
    @has_access
    def defence_pdf(self, declaration_id):
        refuse_when_busy(g.user.id)
        context = _defence_context(visible_or_404(declaration_id))
        return _pdf(printout(declaration_id, g.user.id, "reports/defence_notice.html", **context),
                    f"{context['h']['name']}_答辩通知单.pdf")


def _defence_context(declaration: Declaration) -> dict:
    arrangement = db.session.scalar(select(DefenceArrangement).where(
        DefenceArrangement.declaration_id == declaration.id))
    if arrangement is None:
        abort(404)
    context = _context(declaration)
    committee = db.session.get(Organisation, declaration.committee_id) if declaration.committee_id else None
    context.update(defence=arrangement, committee=committee.name if committee else "评审委员会",
                   masked_id=mask_id_number(context["h"]["id_number"]), today=clock.today().strftime("%Y年%m月%d日"))
    return context
