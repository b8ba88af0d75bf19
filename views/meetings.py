"""The committee's 专家库 and 评审会议 (W9–W12): experts, meetings, 评审组,
grouping, the recorded draw with recusal, attendance and quorum, closing the
vote, the 表决结果 sheet and starting the 公示. Every rule lives in
app/review/ (experts, meetings, voting, publicity); this only parses and shows."""
from __future__ import annotations

import io
import json
from datetime import date

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from app.declaration.data import Conflict, lookups
from app.platform.audit import identifiers_read
from app.platform.extensions import db
from app.review import experts as pool_rules
from app.review.meetings import (
    FieldErrors,
    Refused,
    add_group,
    candidates_for,
    create_meeting,
    draw,
    group_of,
    meeting_errors,
    meeting_of,
    minimum_share_text,
    open_meeting,
    put_into_group,
    quorum_of,
    set_present,
    waiting_declarations,
)
from app.review.publicity import candidates, publicity_end, publish
from app.review.voting import close_vote
from models import ExpertDraw, Meeting, Organisation, ReviewOpinion, TitleSeries, clock
from models.registry.fields import Invalid, parse_date
from permissions.roles import COMMITTEE_ROLE
from reports.pdf import printout, refuse_when_busy


def _committee_only():
    if COMMITTEE_ROLE not in g.user.role_names or not g.user.org_id:
        abort(403)


def _date(text: str | None, label: str) -> date | None:
    """A typed date read by the one date parser (full dates only); None when
    empty; Invalid with the parser's message when it is not a day."""
    return parse_date(text, label, month_ok=False)


def _ids(name: str) -> list[int]:
    return [int(i) for i in request.form.getlist(name) if i.isdigit()]


class MeetingView(BaseView):
    route_base = "/meetings"
    default_view = "index"
    method_permission_name = {name: "meetings" for name in (
        "index", "create", "experts", "expert_available", "show", "new_group", "assign", "draw_experts",
        "presence", "open", "close", "publish_results", "results", "results_pdf")}

    @expose("/", methods=["GET"])
    @has_access
    def index(self):
        _committee_only()
        meetings = db.session.scalars(select(Meeting).where(Meeting.committee_id == g.user.org_id)
                                      .order_by(Meeting.held_on.desc())).all()
        return self.render_template("committee/meetings.html", meetings=meetings, form=request.form, errors={},
                                    threshold="2/3", today=clock.today(), minimum=minimum_share_text())

    @expose("/new", methods=["POST"])
    @has_access
    def create(self):
        _committee_only()
        form = request.form
        errors = {}
        year = form.get("year", "")
        try:
            held_on = _date(form.get("held_on"), "")
        except Invalid as exc:
            held_on, errors["held_on"] = None, str(exc)
        else:
            if held_on is None:
                errors["held_on"] = "请选择会议日期"
        if not (year.isdigit() and 2000 <= int(year) <= 2100):
            errors["year"] = "申报年度应为4位年份"
        errors.update(meeting_errors(form.get("name"), form.get("place"), form.get("threshold")))
        if not errors:
            try:
                meeting = create_meeting(g.user, year=int(year), name=form.get("name"), held_on=held_on,
                                         place=form.get("place"), threshold=form.get("threshold"))
                flash("已创建评审会议", "success")
                return redirect(url_for(".show", meeting_id=meeting.id))
            except FieldErrors as exc:
                db.session.rollback()
                errors.update(exc.errors)
        meetings = db.session.scalars(select(Meeting).where(Meeting.committee_id == g.user.org_id)).all()
        return self.render_template("committee/meetings.html", meetings=meetings, form=form, errors=errors,
                                    threshold=form.get("threshold", ""), today=clock.today(),
                                    minimum=minimum_share_text()), 400

    @expose("/experts", methods=["GET", "POST"])
    @has_access
    def experts(self):
        _committee_only()
        errors, created = {}, None
        if request.method == "POST":
            try:
                created = pool_rules.add_expert(g.user, request.form)
            except pool_rules.ExpertFormError as exc:
                db.session.rollback()
                errors = exc.errors
        units = db.session.execute(select(Organisation.id, Organisation.name).where(
            Organisation.kind == "unit", Organisation.active.is_(True)).order_by(Organisation.name)).all()
        committee = db.session.get(Organisation, g.user.org_id)
        experts = pool_rules.pool(g.user.org_id)
        page = self.render_template(
            "committee/experts.html", experts=experts, errors=errors, created=created,
            form=request.form if errors else {}, units=units, series=committee.series,
            all_series={s.code: s.name for s in db.session.scalars(select(TitleSeries))})
        shown = sum(1 for e in experts if e.phone)
        if shown:   # the experts' full phone numbers, for calling them
            identifiers_read("pii.view", "expert", shown)
        return page, 400 if errors else 200

    @expose("/experts/<int:expert_id>/available", methods=["POST"])
    @has_access
    def expert_available(self, expert_id):
        _committee_only()
        try:
            pool_rules.set_available(g.user, expert_id, request.form.get("available") == "1")
        except Refused as exc:
            flash(str(exc), "danger")
        return redirect(url_for(".experts"))

    @expose("/<int:meeting_id>")
    @has_access
    def show(self, meeting_id):
        _committee_only()
        meeting = meeting_of(g.user, meeting_id) or abort(404)
        draws = {d.group_id: d for d in db.session.scalars(select(ExpertDraw).where(
            ExpertDraw.group_id.in_([grp.id for grp in meeting.groups])))}
        opinions = {}
        for grp in meeting.groups:
            if grp.vote_closed_at:   # opinions are shown once the vote closed
                for o in db.session.scalars(select(ReviewOpinion).where(ReviewOpinion.group_id == grp.id)):
                    opinions.setdefault(o.declaration_id, []).append(o)
        return self.render_template(
            "committee/meeting.html", meeting=meeting, waiting=waiting_declarations(meeting), draws=draws,
            loads=json.loads, quorum=quorum_of, candidates_for=candidates_for, lookups=lookups(), opinions=opinions,
            end=publicity_end(meeting), passed=candidates(meeting) if meeting.status == "voted" else [],
            today=clock.today(), committee=db.session.get(Organisation, g.user.org_id))

    def _act(self, meeting_id, fn, done: str):
        try:
            fn()
            flash(done, "success")
        except Conflict as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(url_for(".show", meeting_id=meeting_id))

    @expose("/<int:meeting_id>/groups", methods=["POST"])
    @has_access
    def new_group(self, meeting_id):
        _committee_only()
        meeting = meeting_of(g.user, meeting_id) or abort(404)
        size = request.form.get("size", "")
        return self._act(meeting_id, lambda: add_group(
            meeting, name=request.form.get("name"), series=request.form.get("series", ""),
            major=request.form.get("major"), size=int(size) if size.isdigit() else 0), "已添加评审组")

    @expose("/<int:meeting_id>/assign", methods=["POST"])
    @has_access
    def assign(self, meeting_id):
        _committee_only()
        meeting = meeting_of(g.user, meeting_id) or abort(404)
        group_id = request.form.get("group", "")
        group = group_of(g.user, int(group_id)) if group_id.isdigit() else None
        if group is None or group.meeting_id != meeting.id:
            flash("请选择评审组", "danger")
            return redirect(url_for(".show", meeting_id=meeting_id))
        return self._act(meeting_id, lambda: put_into_group(group, _ids("ids")), "已分入评审组")

    @expose("/groups/<int:group_id>/draw", methods=["POST"])
    @has_access
    def draw_experts(self, group_id):
        _committee_only()
        group = group_of(g.user, group_id) or abort(404)
        chosen = _ids("experts") if request.form.get("method") == "manual" else None
        return self._act(group.meeting_id, lambda: draw(group, g.user, chosen_ids=chosen), "已抽取专家")

    @expose("/groups/<int:group_id>/present", methods=["POST"])
    @has_access
    def presence(self, group_id):
        _committee_only()
        group = group_of(g.user, group_id) or abort(404)
        return self._act(group.meeting_id, lambda: set_present(group, set(_ids("present"))), "已保存签到")

    @expose("/<int:meeting_id>/open", methods=["POST"])
    @has_access
    def open(self, meeting_id):
        _committee_only()
        meeting = meeting_of(g.user, meeting_id) or abort(404)
        return self._act(meeting_id, lambda: open_meeting(meeting), "会议已开始，专家可以投票")

    @expose("/groups/<int:group_id>/close", methods=["POST"])
    @has_access
    def close(self, group_id):
        _committee_only()
        group = group_of(g.user, group_id) or abort(404)
        return self._act(group.meeting_id, lambda: close_vote(g.user, group), "表决已结束，结果已记录")

    @expose("/<int:meeting_id>/publish", methods=["POST"])
    @has_access
    def publish_results(self, meeting_id):
        _committee_only()
        meeting = meeting_of(g.user, meeting_id) or abort(404)
        typed = request.form.get("start", "")
        try:
            start = _date(typed, "")
        except Invalid as exc:
            # the message names what was typed; the box is filled with it again (?start=)
            flash(f"公示开始日期“{typed[:20]}”：{exc}", "danger")
            return redirect(url_for(".show", meeting_id=meeting_id, start=typed[:20]))
        return self._act(meeting_id, lambda: publish(g.user, meeting, start), "已发布公示")

    def _results(self, meeting_id) -> dict:
        _committee_only()
        meeting = meeting_of(g.user, meeting_id) or abort(404)
        if not any(grp.vote_closed_at for grp in meeting.groups):
            abort(404)
        return {"meeting": meeting, "lookups": lookups(), "committee": db.session.get(Organisation, g.user.org_id),
                "today": clock.today()}

    @expose("/<int:meeting_id>/results")
    @has_access
    def results(self, meeting_id):
        return render_template("reports/vote_results.html", for_pdf=False, **self._results(meeting_id))

    @expose("/<int:meeting_id>/results.pdf")
    @has_access
    def results_pdf(self, meeting_id):
        refuse_when_busy(g.user.id)
        context = self._results(meeting_id)
        data = printout(f"m{meeting_id}", g.user.id, "reports/vote_results.html", **context)
        return send_file(io.BytesIO(data), mimetype="application/pdf",
                         as_attachment=True, download_name=f"表决结果_{context['meeting'].name}.pdf")
