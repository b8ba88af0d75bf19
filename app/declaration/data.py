"""Reading and writing a declaration's sections: dictionary lookups, the
whole declaration's data, saving a page or a row with every check. Views
call these; every write is one transaction."""
from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime
from types import SimpleNamespace

from flask import current_app, g, has_app_context
from markupsafe import Markup, escape
from sqlalchemy import Integer, bindparam, event, func, literal, literal_column, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.platform.extensions import db
from app.platform.kvstore import kv
from models import clock
from models import (
    Announcement,
    Attachment,
    Declaration,
    DeclarationYear,
    DefenceArrangement,
    DictItem,
    Organisation,
    SiteText,
    StepTimeLimit,
    TitleLevel,
    TitleName,
    TitleSeries,
)
from models.identity import InvalidIdNumber, mask_id_number, mask_phone, parse_id_number
from models.registry import BY_KEY, SECTIONS, Section, applicable_sections
from models.registry.fields import ChoiceField, Invalid, RowChoiceField
from models.registry.rules import CheckContext


class Conflict(RuntimeError):
    """Someone else changed the declaration meanwhile."""


def current_year() -> int:
    """申报年度 of new declarations: the year whose window is open today (M4),
    or the calendar year when the title office has opened none. The windows
    are kept with the dictionaries (and read again when one changes)."""
    today = clock.today()
    open_years = [year for year, (opens, closes) in dictionaries().windows.items() if opens <= today <= closes]
    return max(open_years) if open_years else today.year


def overlapping_year(opens_on: date, closes_on: date, except_id: int | None = None) -> DeclarationYear | None:
    """Another 申报年度 whose window shares a day with opens_on..closes_on.
    Windows never overlap (the database refuses it too): at most one year is
    open on any day, so the open year's draft is always the one the applicant
    is shown and can submit."""
    query = select(DeclarationYear).where(DeclarationYear.opens_on <= closes_on,
                                          DeclarationYear.closes_on >= opens_on)
    if except_id is not None:
        query = query.where(DeclarationYear.id != except_id)
    return db.session.scalar(query.order_by(DeclarationYear.year).limit(1))


@dataclass(frozen=True)
class YearWindow:
    """A 申报年度's window as the applicant sees it (M4), with the days left."""

    year: int
    opens_on: date | None
    closes_on: date | None
    today: date

    @property
    def state(self) -> str:
        if self.opens_on is None or self.closes_on is None:
            return "none"
        if self.today < self.opens_on:
            return "before"
        return "closed" if self.today > self.closes_on else "open"

    @property
    def days_left(self) -> int | None:
        return (self.closes_on - self.today).days if self.closes_on else None

    @property
    def days_to_open(self) -> int | None:
        return (self.opens_on - self.today).days if self.opens_on else None


def year_window(year: int | None = None) -> YearWindow:
    year = year or current_year()
    opens, closes = dictionaries().windows.get(year, (None, None))
    return YearWindow(year, opens, closes, clock.today())


class Dictionaries:
    """What administrators rarely change (~700 rows), read once per worker and read again only
    after one of them changed (see `dictionaries`): dictionary entries, registry choices, 申报年度
    windows, the series and levels committees handle, the site texts, the announcements; and
    the names of organisations, each read when first asked."""

    def __init__(self):
        items = db.session.execute(
            select(DictItem.kind, DictItem.code, DictItem.name, DictItem.parent_code)
            .where(DictItem.active.is_(True)).order_by(DictItem.kind, DictItem.sort_order, DictItem.id)
        ).all()
        self.items: dict[str, list] = defaultdict(list)
        for kind, code, name, parent in items:
            self.items[kind].append((code, name, parent))
        self.series = [tuple(r) for r in db.session.execute(
            select(TitleSeries.code, TitleSeries.name, TitleSeries.special_page)
            .where(TitleSeries.active.is_(True)).order_by(TitleSeries.sort_order))]
        levels = db.session.execute(select(TitleLevel.id, TitleLevel.code, TitleLevel.name, TitleLevel.parent_id)
                                    .where(TitleLevel.active.is_(True)).order_by(TitleLevel.sort_order)).all()
        parents = {lv.parent_id for lv in levels if lv.parent_id}
        # Only the finest levels are chosen (正高级, 副高级, 中级, 助理级, 员级).
        self.levels = [(lv.code, lv.name) for lv in levels if lv.id not in parents]
        self.titles = [tuple(r) for r in db.session.execute(
            select(TitleName.code, TitleName.name, TitleSeries.code, TitleLevel.code)
            .join(TitleSeries, TitleName.series_id == TitleSeries.id)
            .join(TitleLevel, TitleName.level_id == TitleLevel.id)
            .where(TitleName.active.is_(True)).order_by(TitleName.code))]
        # code → name per kind, and title code → (series, level): built once, asked per cell
        self._names = {kind: {c: n for c, n, _ in entries} for kind, entries in self.items.items()}
        self._names.update({
            "title_series": {c: n for c, n, _ in self.series},
            "title_level": {c: n for c, n in self.levels},
            "title_name": {t[0]: t[1] for t in self.titles},
        })
        self._title_attrs = {t[0]: (t[2], t[3]) for t in self.titles}
        # 申报年度 windows (M4): year → (opens, closes)
        self.windows = {year: (opens, closes) for year, opens, closes in db.session.execute(
            select(DeclarationYear.year, DeclarationYear.opens_on, DeclarationYear.closes_on))}
        # (series, level) pairs some active committee evaluates: the hint beside 申报专业技术级别
        # (提交 itself looks the committee up in the database)
        self.committee_pairs = set(db.session.execute(
            select(TitleSeries.code, TitleLevel.code).select_from(Organisation)
            .join(Organisation.series).join(Organisation.levels)
            .where(Organisation.kind == "committee", Organisation.active.is_(True))).tuples())
        # texts shown on pages (诚信承诺书); 提交 checks the pledge against the database
        self.texts = {t.key: SimpleNamespace(key=t.key, title=t.title, body=t.body, updated_at=t.updated_at)
                      for t in db.session.execute(select(SiteText.key, SiteText.title, SiteText.body,
                                                         SiteText.updated_at))}
        # 通知公告 (every announcement: a few hundred at most); which are shown depends on the day
        self.announcements = [SimpleNamespace(**row._mapping) for row in db.session.execute(
            select(Announcement.id, Announcement.title, Announcement.series, Announcement.publish_on,
                   Announcement.unpublish_on, Announcement.pinned, Announcement.attachment_key))]
        # working days each review step may take (the reviewers' lists mark the late ones)
        self.step_limits = {status: days for status, days in db.session.execute(
            select(StepTimeLimit.status, StepTimeLimit.working_days))}
        self._org_names: dict[int, str | None] = {}
        self._options: dict[tuple[str, bool], list] = {}
        self._option_tags: dict[int, tuple[str, dict[str, int]]] = {}

    def options(self, kind: str, grouped: bool = False):
        if (kind, grouped) not in self._options:
            self._options[kind, grouped] = self._build_options(kind, grouped)
        return self._options[kind, grouped]

    def _build_options(self, kind: str, grouped: bool):
        if kind == "title_series":
            return [(None, [(c, n) for c, n, _ in self.series])]
        if kind == "title_level":
            return [(None, list(self.levels))]
        if kind == "title_name":
            return [(None, [(t[0], t[1]) for t in self.titles])]
        entries = self.items.get(kind, [])
        if not grouped:
            return [(None, [(c, n) for c, n, _ in entries])]
        children = defaultdict(list)
        for code, name, parent in entries:
            if parent:
                children[parent].append((code, name))
        groups = [(name, children[code]) for code, name, parent in entries if not parent and children[code]]
        lone = [(code, name) for code, name, parent in entries if not parent and not children[code]]
        return groups + ([(None, lone)] if lone else [])

    def name(self, kind: str, code: str) -> str | None:
        return self._names.get(kind, {}).get(code)

    def option_tags(self, field, current) -> Markup:
        """A dropdown's <option> tags with `current` selected. The tags are built
        once per field and version of the dictionaries; a request only inserts
        ` selected` (a Jinja loop over ~500 title names cost a page 1.5 ms)."""
        if id(field) not in self._option_tags:
            self._option_tags[id(field)] = self._build_option_tags(field)
        html, ends = self._option_tags[id(field)]
        at = ends.get(current) if isinstance(current, str) else None
        # every code and name in `html` was escaped as the tags were built
        return Markup(html if at is None else f"{html[:at]} selected{html[at:]}")  # nosec B704

    def _build_option_tags(self, field) -> tuple[str, dict[str, int]]:
        titles = self._title_attrs if field.chain else {}
        parts, ends, length = [], {}, 0
        for group, items in field.options(self):
            if group:
                parts.append(f'<optgroup label="{escape(group)}">')
                length += len(parts[-1])
            for code, name in items:
                opening = f'<option value="{escape(code)}"'
                ends.setdefault(code, length + len(opening))
                series, level = titles.get(code, ("", ""))
                chained = f' data-series="{escape(series)}" data-level="{escape(level)}"' if field.chain else ""
                parts.append(f"{opening}{chained}>{escape(name)}</option>")
                length += len(parts[-1])
            if group:
                parts.append("</optgroup>")
                length += len(parts[-1])
        return "".join(parts), ends

    def title_matches(self, title: str, series: str | None, level: str | None) -> bool:
        return self._title_attrs.get(title) == (series, level)

    def special_page(self, series_code: str | None) -> str | None:
        return next((page for code, _, page in self.series if code == series_code), None)

    def org_name(self, org_id: int) -> str:
        if org_id not in self._org_names:
            self._org_names[org_id] = db.session.scalar(select(Organisation.name).where(Organisation.id == org_id))
        return self._org_names[org_id] or ""


class Lookups:
    """One request's lookups: the worker's dictionaries, and the checks that
    must see the database as it is now."""

    def __init__(self, dictionaries: Dictionaries):
        self.dictionaries = dictionaries

    def __getattr__(self, name):
        return getattr(self.dictionaries, name)

    def ref_name(self, target: str, value: int) -> str:
        return self.dictionaries.org_name(value) if target == "organisation" else str(value)

    def is_active_unit(self, org_id: int) -> bool:
        return db.session.scalar(select(Organisation.id).where(
            Organisation.id == org_id, Organisation.kind == "unit", Organisation.active.is_(True))) is not None


#: the kv-store key every worker compares with the version its dictionaries were read at
DICTIONARY_VERSION_KEY = "dictionaries:version"
DICTIONARY_MODELS = (DictItem, TitleSeries, TitleLevel, TitleName, DeclarationYear, Organisation, SiteText,
                     Announcement, StepTimeLimit)


def dictionaries() -> Dictionaries:
    """The worker's dictionaries, read again when the shared version moved on
    (another worker's administrator saved a change): one kv read per request."""
    if "dictionaries" in g:   # the version is asked once per request, not per lookup
        return g.dictionaries
    version = kv().get(DICTIONARY_VERSION_KEY) or "0"
    cached_version, cached = current_app.extensions.get("dictionaries", (None, None))
    if cached is None or cached_version != version:
        cached = Dictionaries()
        current_app.extensions["dictionaries"] = (version, cached)
    g.dictionaries = cached
    return cached


def dictionaries_changed() -> None:
    """Tell every worker to read the dictionaries again (a new random version:
    a lost or expired key also makes every worker read again)."""
    kv().set(DICTIONARY_VERSION_KEY, uuid.uuid4().hex, 400 * 24 * 3600)
    g.pop("dictionaries", None)
    g.pop("lookups", None)


@event.listens_for(Session, "after_flush")
def _note_dictionary_change(session, _context):
    if any(isinstance(obj, DICTIONARY_MODELS) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info["dictionaries_changed"] = True


@event.listens_for(Session, "after_commit")
def _publish_dictionary_change(session):
    if session.info.pop("dictionaries_changed", False) and has_app_context():
        dictionaries_changed()


@event.listens_for(Session, "after_rollback")
def _forget_dictionary_change(session):
    session.info.pop("dictionaries_changed", None)


def lookups() -> Lookups:
    if "lookups" not in g:
        g.lookups = Lookups(dictionaries())
    return g.lookups


ATTACHMENT_KEY = "_attachment"
DEFENCE_KEY = "_defence"
_NOT_READ = object()


def _tables() -> list[tuple[str, object]]:
    return [(section.key, section.model.__table__) for section in SECTIONS] + [
        (ATTACHMENT_KEY, Attachment.__table__), (DEFENCE_KEY, DefenceArrangement.__table__)]


def _everything_of(dialect: str):
    """One UNION ALL over every section table, the attachments and the 答辩安排:
    (key, the row as JSON) for the declaration bound as `declaration_id`. Built
    once per dialect: constructing thirty selects cost more than running them."""
    if dialect not in _STATEMENTS:
        declaration_id = bindparam("declaration_id", type_=Integer)
        parts = []
        for key, table in _tables():
            if dialect == "postgresql":
                payload = func.to_json(literal_column(table.name))   # the whole row
            else:
                payload = func.json_object(*[part for c in table.c for part in (literal(c.name), c)])
            parts.append(select(literal(key).label("k"), payload.label("j"))
                         .where(table.c.declaration_id == declaration_id))
        _STATEMENTS[dialect] = union_all(*parts)
    return _STATEMENTS[dialect]


_STATEMENTS: dict[str, object] = {}


def _converters() -> dict[str, dict[str, object]]:
    """Per table, how a JSON value becomes the column's Python value (dates come as text)."""
    if not _CONVERTERS:
        for key, table in _tables():
            _CONVERTERS[key] = {c.name: _DECODE[type(c.type).__name__] for c in table.c
                                if type(c.type).__name__ in _DECODE}
    return _CONVERTERS


_DECODE = {"Date": lambda v: date.fromisoformat(v[:10]), "DateTime": datetime.fromisoformat,
           "AwareDateTime": lambda v: clock.local(datetime.fromisoformat(v))}
_CONVERTERS: dict[str, dict[str, object]] = {}


def _record(key: str, payload) -> SimpleNamespace:
    values = json.loads(payload) if isinstance(payload, str) else payload
    for name, decode in _converters()[key].items():
        if values.get(name) is not None:
            values[name] = decode(values[name])
    return SimpleNamespace(**values)


class DeclarationData:
    """Everything of one declaration. Pages that only read call `read()`: every
    section, attachment and the 答辩安排 in one statement, as plain read-only
    records, before the template runs. Writers use the default: ORM objects,
    each section loaded when first asked."""

    #: an expert's view: the ID number and phone are shown masked (W9)
    identity_masked = False

    def __init__(self, declaration: Declaration):
        self.declaration = declaration
        self._single: dict[str, object] = {}
        self._rows: dict[str, list] = {}
        self._attachments: dict | None = None
        self._defence = _NOT_READ

    @classmethod
    def read(cls, declaration: Declaration) -> DeclarationData:
        data = cls(declaration)
        if declaration.id is not None:
            data._load_all()
        return data

    def _load_all(self) -> None:
        rows: dict[str, list] = defaultdict(list)
        self._attachments = defaultdict(list)
        self._defence = None
        connection = db.session.connection()   # plain rows: no ORM work per statement
        statement = _everything_of(connection.dialect.name)
        for key, payload in connection.execute(statement, {"declaration_id": self.declaration.id}):
            record = _record(key, payload)
            if key == ATTACHMENT_KEY:
                self._attachments[(record.section, record.row_id, record.kind)].append(record)
            elif key == DEFENCE_KEY:
                self._defence = record
            else:
                rows[key].append(record)
        for section in SECTIONS:
            found = rows.get(section.key, [])
            if section.many:
                self._rows[section.key] = sorted(found, key=lambda r: (r.position, r.id))
            else:
                self._single[section.key] = found[0] if found else None
        for items in self._attachments.values():
            items.sort(key=lambda a: a.id)

    def single(self, key: str):
        if key not in self._single:
            model = BY_KEY[key].model
            self._single[key] = db.session.scalar(select(model).where(model.declaration_id == self.declaration.id))
        return self._single[key]

    def rows(self, key: str) -> list:
        if key not in self._rows:
            model = BY_KEY[key].model
            self._rows[key] = list(db.session.scalars(
                select(model).where(model.declaration_id == self.declaration.id).order_by(model.position, model.id)))
        return self._rows[key]

    def attachments(self, section: str, kind: str, row_id: int | None = None) -> list[Attachment]:
        if self._attachments is None:
            self._attachments = defaultdict(list)
            for a in db.session.scalars(select(Attachment).where(Attachment.declaration_id == self.declaration.id)
                                        .order_by(Attachment.id)):
                self._attachments[(a.section, a.row_id, a.kind)].append(a)
        return self._attachments[(section, row_id, kind)]

    @property
    def defence(self) -> DefenceArrangement | None:
        """答辩安排, once the committee imported it."""
        if self._defence is _NOT_READ:
            self._defence = db.session.scalar(select(DefenceArrangement).where(
                DefenceArrangement.declaration_id == self.declaration.id))
        return self._defence

    @property
    def window(self) -> YearWindow:
        return year_window(self.declaration.year)

    @property
    def account_birth_date(self) -> date | None:
        try:
            return parse_id_number(self.declaration.applicant.id_number)["birth_date"]
        except (InvalidIdNumber, TypeError):
            return None

    @property
    def special_page(self) -> str | None:
        basic = self.single("basic")
        return lookups().special_page(basic.series) if basic else None

    def pages(self) -> list[Section]:
        """The tabs, following the saved series (D16)."""
        return applicable_sections(self.special_page)

    def values(self, key: str, obj=None) -> dict:
        obj = obj if obj is not None else self.single(key)
        if obj is None:
            return {}
        return {f.name: getattr(obj, f.name) for f in BY_KEY[key].stored_fields}

    def child_applies(self, section: Section) -> bool:
        if section.when is None:
            return True
        other, allowed = section.when
        return self.values(section.parent).get(other) in allowed

    def chosen_row(self, field, value) -> str:
        """A row marked by a RowChoiceField (有效学历) as people read it:
        school, major, 学历 and 学位 of that 学历信息 row; never its id."""
        row = next((r for r in self.rows(field.section) if value is not None and r.id == value), None)
        if row is None:
            return ""
        section, lk = BY_KEY[field.section], lookups()
        parts = [section.field(n).display(getattr(row, n), lk) for n in ("school", "major", "education", "degree")]
        return " ".join(str(p) for p in parts if p)

    def derived(self, name: str):
        """Values shown but never typed: from the account, the ID number, the declaration."""
        decl, account = self.declaration, self.declaration.applicant
        parsed = {}
        try:
            parsed = parse_id_number(account.id_number)
        except (InvalidIdNumber, TypeError):
            pass
        basic = self.single("basic")
        masked = self.identity_masked
        return {
            "name": account.first_name,
            "id_number": mask_id_number(account.id_number) if masked else account.id_number,
            "gender": parsed.get("gender"),
            "birth_date": parsed["birth_date"].strftime("%Y-%m-%d") if parsed else None,
            "phone": mask_phone(account.phone) if masked else account.phone,
            "year": decl.year,
            "certificate_no": decl.certificate_no or "",
            "committee_received": "是" if decl.committee_received else "否",
            "received_date": decl.received_date.strftime("%Y-%m-%d") if decl.received_date else "",
            "admin_post": basic.admin_post if basic else "",
        }.get(name)


# Built once: on an applicant's every request, building it cost more than running it.
_DECLARATION_OF = select(Declaration).where(Declaration.applicant_id == bindparam("applicant"),
                                            Declaration.year == bindparam("year"))


def find_declaration(applicant_id: int, year: int | None = None) -> Declaration | None:
    return db.session.scalar(_DECLARATION_OF, {"applicant": applicant_id, "year": year or current_year()})


@dataclass
class SaveResult:
    obj: object | None = None
    errors: dict[str, str] = dc_field(default_factory=dict)
    #: what was typed, to show again when there are errors (nothing is lost)
    typed: dict[str, str] = dc_field(default_factory=dict)
    #: the page or row was saved meanwhile from another tab: nothing was written
    stale: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def read_form(section: Section, form, data: DeclarationData, others: list, stored: dict | None = None) -> SaveResult:
    """Parse and check what was typed for one page or row; no writing.

    A field hidden by another field's value (D16) keeps its stored value:
    changing 级别 or 报评资格 back and forth never erases what was typed."""
    result, values = SaveResult(), {}
    lk = lookups()
    for f in section.stored_fields:
        raw = form.get(f.name, "")
        result.typed[f.name] = raw
        try:
            values[f.name] = f.parse(raw)
            if isinstance(f, ChoiceField):
                f.check_choice(values[f.name], lk)
        except Invalid as exc:
            result.errors[f.name] = str(exc)
            values[f.name] = None
    for f in section.stored_fields:
        if not f.applies(values):
            # hidden, so not posted: keep what is stored until the applicant clears it while shown
            values[f.name] = (stored or {}).get(f.name)
            result.errors.pop(f.name, None)
        elif f.required and values[f.name] is None and f.name not in result.errors:
            verb = "选择" if isinstance(f, (ChoiceField, RowChoiceField)) or f.name == "unit_id" else "填写"
            result.errors[f.name] = f"请{verb}{f.label}"
    context = CheckContext(values=values, others=others, data=data, lookups=lk)
    for check in section.checks:
        for name, message in check(context).items():
            result.errors.setdefault(name, message)
    result.obj = values
    return result


def touch(declaration: Declaration) -> None:
    """Take the declaration's write lock: one UPDATE guarded by its version,
    so concurrent writers queue (PostgreSQL row lock, SQLite write lock) and
    a writer with a stale copy fails instead of overwriting. A declaration
    not stored yet (the first save of 个人基本信息) is inserted here."""
    if not declaration.editable:
        raise Conflict("申报已提交，不能修改")
    if declaration.id is None:
        db.session.add(declaration)
    else:
        declaration.updated_at = clock.now()
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise Conflict("该申报已被他人修改，请刷新后重试") from None


# -- two tabs (#10): a form carries the version of the page or row it shows --

STALE_MESSAGE = ("已在其他页面修改：本页打开后，该信息已在其他页面保存过，本次未保存。下面保留了您刚才填写的内容，"
                 "请核对后再次点击“保存”（以本页内容为准），或刷新页面查看其他页面保存的内容。")


def stamp_of(obj) -> str:
    """The version of a stored page or row as the form carries it ("" for none yet)."""
    return _stamp(obj.updated_at if obj is not None else None)


def _stamp(moment: datetime | None) -> str:
    return moment.isoformat(timespec="microseconds") if moment else ""


def _changed_meanwhile(form, model, where) -> bool:
    """Read after the declaration's lock is held, so it sees the other tab's committed save.
    A form without a stamp (an API client of old) is not checked."""
    if "stamp" not in form:
        return False
    return _stamp(db.session.scalar(select(model.updated_at).where(where))) != form.get("stamp", "")


def _stale(result: SaveResult) -> SaveResult:
    db.session.rollback()
    result.errors["_form"] = STALE_MESSAGE
    result.stale = True
    return result


def new_declaration(applicant) -> Declaration:
    """This year's declaration, not stored until its first save."""
    return Declaration(applicant=applicant, applicant_id=applicant.id, year=current_year(), status="draft")


def save_single(declaration: Declaration, section: Section, form, data: DeclarationData | None = None) -> SaveResult:
    data = data or DeclarationData(declaration)
    result = read_form(section, form, data, others=[], stored=data.values(section.key))
    if not result.ok:
        return result
    touch(declaration)
    if _changed_meanwhile(form, section.model, section.model.declaration_id == declaration.id):
        return _stale(result)
    return _store(data.single(section.key) or section.model(declaration_id=declaration.id), result)


def save_row(declaration: Declaration, section: Section, form, row=None) -> SaveResult:
    data = DeclarationData(declaration)
    others = [r for r in data.rows(section.key) if row is None or r.id != row.id]
    result = read_form(section, form, data, others=others,
                       stored=data.values(section.key, row) if row is not None else None)
    if not result.ok:
        return result
    touch(declaration)
    model = section.model
    if row is not None and _changed_meanwhile(form, model, model.id == row.id):
        return _stale(result)
    if row is None:
        count = db.session.scalar(select(func.count(model.id)).where(model.declaration_id == declaration.id))
        if section.max_rows and count >= section.max_rows:
            db.session.rollback()
            result.errors["_form"] = f"{section.title}最多录入{section.max_rows}条"
            return result
        last = db.session.scalar(select(func.max(model.position)).where(model.declaration_id == declaration.id))
        row = model(declaration_id=declaration.id, position=(last or 0) + 1)
    return _store(row, result)


def _store(obj, result: SaveResult) -> SaveResult:
    """Write the checked values and commit (the caller holds the declaration's lock)."""
    for name, value in result.obj.items():
        setattr(obj, name, value)
    db.session.add(obj)
    db.session.commit()
    result.obj = obj
    return result


def delete_row(declaration: Declaration, section: Section, row) -> list[str]:
    """Delete a row and its attachments; returns the storage keys to remove after commit."""
    touch(declaration)
    keys = _delete_attachments(declaration, section.key, row.id)
    db.session.delete(row)
    db.session.commit()
    return keys


def clear_single(declaration: Declaration, section: Section) -> list[str]:
    """删除 on a single page (D3): the page's values and attachments go."""
    touch(declaration)
    obj = DeclarationData(declaration).single(section.key)
    keys = _delete_attachments(declaration, section.key, None)
    if obj is not None:
        db.session.delete(obj)
    db.session.commit()
    return keys


def _delete_attachments(declaration, section_key, row_id) -> list[str]:
    found = list(db.session.scalars(select(Attachment).where(
        Attachment.declaration_id == declaration.id, Attachment.section == section_key,
        Attachment.row_id.is_(None) if row_id is None else Attachment.row_id == row_id)))
    for a in found:
        db.session.delete(a)
    return [a.storage_key for a in found]
