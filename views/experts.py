"""The expert's work area (评审专家, W9–W12): the declarations assigned to
them (the scope rule: never one they are recused from — 404 by URL), read-only
with attachments and printouts; their own opinion; their anonymous ballot."""
from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from app.declaration.data import Conflict, DeclarationData, lookups
from app.platform.extensions import db
from app.review.meetings import declare_conflict, expert_of, membership, own_opinion, save_opinion
from app.review.voting import CHOICES, cast, has_voted
from models import Account, Declaration
from permissions.roles import EXPERT_ROLE
from permissions.scopes import IDENTITY_DOCUMENTS, visible_declarations
from views.base import visible_or_404


def assigned(user, expert) -> list[tuple]:
    """The expert's tasks, one row per declaration they see (the scope rule):
    (declaration, applicant, group, member, voted, own opinion)."""
    rows = []
    for declaration, account in db.session.execute(
            select(Declaration, Account).join(Account, Account.id == Declaration.applicant_id)
            .where(visible_declarations(user)).order_by(Declaration.id)).all():
        found = membership(expert, declaration.id)
        if found:
            group, member = found
            rows.append((declaration, account, group, member, has_voted(expert, group, declaration.id),
                         own_opinion(expert, group, declaration.id)))
    return rows


def _experts_only():
    if EXPERT_ROLE not in g.user.role_names or expert_of(g.user) is None:
        abort(403)


class ExpertView(BaseView):
    route_base = "/expert"
    default_view = "index"
    method_permission_name = {name: "expert" for name in ("index", "show", "opinion", "vote", "conflict")}

    @expose("/")
    @has_access
    def index(self):
        _experts_only()
        expert = expert_of(g.user)
        return self.render_template("expert/list.html", rows=assigned(g.user, expert), lookups=lookups(),
                                    expert=expert)

    @expose("/<int:declaration_id>")
    @has_access
    def show(self, declaration_id):
        _experts_only()
        declaration = visible_or_404(declaration_id)
        expert = expert_of(g.user)
        found = membership(expert, declaration.id) or abort(404)
        group, member = found
        data = DeclarationData(declaration)
        data.identity_masked = True   # an expert judges the work, not the person (W9)
        return self.render_template(
            "expert/show.html", declaration=declaration, data=data, lookups=lookups(), group=group, member=member,
            voted=has_voted(expert, group, declaration.id), opinion=own_opinion(expert, group, declaration.id),
            choices=CHOICES, hidden_kinds=IDENTITY_DOCUMENTS, sections=[s for p in data.pages() for s in [p, *p.children()]
                                       if not s.parent or data.child_applies(s)])

    def _post(self, declaration_id, fn, done):
        _experts_only()
        try:
            fn()
            flash(done, "success")
        except Conflict as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        visible = db.session.scalar(select(Declaration.id).where(Declaration.id == declaration_id,
                                                                 visible_declarations(g.user)))
        return redirect(url_for(".show", declaration_id=declaration_id) if visible else url_for(".index"))

    @expose("/<int:declaration_id>/opinion", methods=["POST"])
    @has_access
    def opinion(self, declaration_id):
        return self._post(declaration_id, lambda: save_opinion(g.user, declaration_id, request.form.get("text", ""),
                                                               request.form.get("score", "")), "评审意见已保存")

    @expose("/<int:declaration_id>/vote", methods=["POST"])
    @has_access
    def vote(self, declaration_id):
        return self._post(declaration_id, lambda: cast(g.user, declaration_id, request.form.get("choice", "")),
                          "已投票")

    @expose("/<int:declaration_id>/conflict", methods=["POST"])
    @has_access
    def conflict(self, declaration_id):
        return self._post(declaration_id, lambda: declare_conflict(g.user, declaration_id,
                                                                   request.form.get("reason", "")),
                          "已申明回避，该申报不再向您显示")
