"""The home page: each role's work area."""
from flask import current_app, g, jsonify, redirect, url_for
from flask_appbuilder import IndexView, expose
from sqlalchemy import func, select

from app.declaration.carry_over import declarations_of, previous_declaration
from app.declaration.data import find_declaration, lookups, year_window
from app.platform.extensions import db
from app.review.deadlines import return_notice
from app.review.meetings import expert_of
from models import Declaration, DefenceArrangement, Notification, Organisation
from permissions.roles import APPLICANT_ROLE, EXPERT_ROLE, ROLE_ORDER
from permissions.scopes import visible_declarations, waiting_for
from views.experts import assigned


class HomeView(IndexView):
    route_base = ""
    index_template = "home.html"

    @expose("/")
    def index(self):
        if not (g.user and g.user.is_authenticated):
            return redirect(url_for("AuthView.login"))
        roles = [r for r in ROLE_ORDER if r in g.user.role_names]
        org = g.user.org
        units = None
        if org is not None and org.kind in ("department", "bureau"):
            units = db.session.scalar(
                select(func.count(Organisation.id)).where(Organisation.parent_id == org.id,
                                                          Organisation.kind == "unit")
            )
        waiting = db.session.scalar(select(func.count(Declaration.id)).where(
            visible_declarations(g.user), waiting_for(g.user)))
        applicant = APPLICANT_ROLE in roles
        declaration = find_declaration(g.user.id) if applicant else None
        unread = db.session.scalar(select(func.count(Notification.id)).where(
            Notification.account_id == g.user.id, Notification.read_at.is_(None)))
        records = declarations_of(g.user.id) if applicant else []
        defences = {d.declaration_id: d for d in db.session.scalars(select(DefenceArrangement).where(
            DefenceArrangement.declaration_id.in_([r.id for r in records])))} if records else {}
        expert = expert_of(g.user) if EXPERT_ROLE in roles else None
        return self.render_template(
            self.index_template, roles=roles, org=org, units=units, waiting=waiting, declaration=declaration,
            tasks=_by_group(assigned(g.user, expert)) if expert else [],
            unread=unread, records=records, defences=defences, lookups=lookups() if applicant or expert else None,
            window=year_window() if applicant else None, notice=return_notice(declaration),
            previous=previous_declaration(g.user.id) if applicant and (declaration is None or declaration.editable)
            else None)

    @expose("/session/keepalive")
    def keepalive(self):
        """继续保持登录: any request of a signed-in person renews the idle timer (see app.accounts.sessions)."""
        signed_in = bool(g.user and g.user.is_authenticated)
        return jsonify(ok=signed_in, idle_seconds=current_app.config["SESSION_IDLE_MINUTES"] * 60,
                       message="" if signed_in else "登录已超时，请重新登录")


def _by_group(rows) -> list[tuple]:
    """An expert's task rows gathered per 评审组, in meeting-date order: (group, rows)."""
    groups: dict[int, tuple] = {}
    for row in rows:
        groups.setdefault(row[2].id, (row[2], []))[1].append(row)
    return sorted(groups.values(), key=lambda item: (item[0].meeting.held_on, item[0].id))
