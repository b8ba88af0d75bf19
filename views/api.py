"""The integration API (B9): declarations within the caller's scope (the
same `visible_declarations` rule as every list), their history, workflow
steps through `perform` only, and the certificate check. Token login is
/api/v1/security/login (views/api_security.py, the form's rules). The
OpenAPI document and its Swagger page are for signed-in staff only."""
from __future__ import annotations

from flask import abort, current_app, g, request, url_for
from flask_appbuilder import BaseView, expose as expose_view, has_access
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.api.manager import OpenApi as FabOpenApi
from flask_appbuilder.menu import MenuApi as FabMenuApi
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select

from app.declaration.data import Conflict, lookups
from app.platform.audit import identifiers_read
from app.platform.extensions import db
from app.review.history import history
from app.review.workflow import STATUS_LABELS, perform, steps_for
from models import Account, Declaration, clock
from models.identity import CONTROL_CHARACTER_MESSAGE, mask_id_number, mask_phone, normalise_text
from permissions.roles import FULL_IDENTIFIER_ROLES
from permissions.scopes import is_reviewer, visible_declarations
from views.verify import find_certificate

ACTIONS = sorted({"approve", "return", "receive", "pass", "fail"})


class LocalDateTime(fields.DateTime):
    """RFC 3339 with the offset, in TIME_ZONE (+08:00 for Beijing)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(clock.local(value), attr, obj, **kwargs)


#: what every API answers when FAB would answer in English
API_MESSAGES = {400: "请求格式不正确", 401: "令牌无效或已过期，请重新登录", 403: "没有权限执行此操作",
                404: "未找到该记录", 500: "服务器内部错误，请稍后重试"}
_MESSAGE_BODY = {"application/json": {"schema": {"type": "object", "properties": {"message": {"type": "string"}}}}}


def _has_chinese(text) -> bool:
    return isinstance(text, str) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


class ChineseApi:
    """Mixed into every API of the OpenAPI document: FAB's own answers (401,
    403, 404, 500 and a bad request) in Chinese, and the shared responses
    of the document described in Chinese."""

    responses = {str(code): {"description": text, "content": _MESSAGE_BODY}
                 for code, text in {**API_MESSAGES, 413: "请求体过大", 429: "操作过于频繁，请稍后再试"}.items()}

    def response_400(self, message: str | None = None):
        return self.response(400, message=message if _has_chinese(message) else API_MESSAGES[400])

    def response_401(self):
        return self.response(401, message=API_MESSAGES[401])

    def response_403(self):
        return self.response(403, message=API_MESSAGES[403])

    def response_404(self):
        return self.response(404, message=API_MESSAGES[404])

    def response_500(self, message: str | None = None):
        return self.response(500, message=API_MESSAGES[500])


# marshmallow's messages, in Chinese: every field and validator of the API's schemas says what is wrong
class _Chinese:
    default_error_messages = {"required": "必须填写", "null": "不能为空", "validator_failed": "取值无效"}


class Int(_Chinese, fields.Integer):
    default_error_messages = {"invalid": "应为整数", "too_large": "数值过大"}


class Str(_Chinese, fields.String):
    default_error_messages = {"invalid": "应为文本", "invalid_utf8": "不是有效的UTF-8文本"}


def between(low: int, high: int):
    return validate.Range(low, high, error="应为{min}到{max}之间的整数")


def length(low: int | None = None, high: int | None = None):
    return validate.Length(low, high, error=f"长度应为{low}到{high}个字符" if low else f"不能超过{high}个字符")


def one_of(choices):
    return validate.OneOf(choices, error="应为以下之一：{choices}")


class ChineseSchema(Schema):
    error_messages = {"unknown": "不支持此参数", "type": "应为JSON对象"}


#: control characters (PostgreSQL refuses NUL in a text parameter) are refused with 400, and documented so
NO_CONTROL = validate.Regexp(r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$", error=CONTROL_CHARACTER_MESSAGE)


def _errors(exc: ValidationError) -> str:
    """marshmallow's messages as one line (the documented 400 body has a string message)."""
    messages = exc.messages if isinstance(exc.messages, dict) else {"": exc.messages}
    return "；".join(f"{key}：{'、'.join(map(str, value)) if isinstance(value, list) else value}"
                    for key, value in messages.items())


class DeclarationQuery(ChineseSchema):
    page = Int(load_default=1, validate=between(1, 100_000))
    page_size = Int(load_default=20, validate=between(1, 100))
    status = Str(validate=one_of([s for s in STATUS_LABELS if s != "draft"]))
    series = Str(validate=[length(1, 10), NO_CONTROL])
    level = Str(validate=[length(1, 10), NO_CONTROL])
    year = Int(validate=between(2000, 2100))
    unit = Int(validate=between(1, 2 ** 31 - 1))


class DeclarationOut(Schema):
    id = fields.Integer(required=True)
    year = fields.Integer(required=True)
    status = fields.String(required=True)
    status_label = fields.String(required=True)
    name = fields.String(required=True)
    id_number = fields.String(required=True, metadata={"description": "职称办为全号，其他角色为掩码"})
    phone = fields.String(required=True)
    series = fields.String(allow_none=True)
    series_name = fields.String(allow_none=True)
    level = fields.String(allow_none=True)
    level_name = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    committee = fields.String(allow_none=True)
    submitted_at = LocalDateTime(allow_none=True)
    certificate_no = fields.String(allow_none=True)
    version = fields.Integer(required=True)


class DeclarationList(Schema):
    count = fields.Integer(required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    result = fields.List(fields.Nested(DeclarationOut), required=True)


class StepOut(Schema):
    action = fields.String(required=True)
    label = fields.String(required=True)


class DeclarationDetail(DeclarationOut):
    steps = fields.List(fields.Nested(StepOut), required=True)


class EventOut(Schema):
    action = fields.String(required=True)
    from_status = fields.String(required=True)
    to_status = fields.String(required=True)
    actor_name = fields.String(required=True)
    org_name = fields.String(required=True)
    opinion = fields.String(required=True)
    created_at = LocalDateTime(required=True)


class HistoryOut(Schema):
    result = fields.List(fields.Nested(EventOut), required=True)


class StepIn(ChineseSchema):
    action = Str(required=True, validate=one_of(ACTIONS))
    opinion = Str(load_default="", validate=[length(high=500), NO_CONTROL])
    version = Int(required=True, validate=between(1, 2 ** 31 - 1),
                  metadata={"description": "读取时的 version；他人已处理则返回 409"})


class CertificateQuery(ChineseSchema):
    certificate_no = Str(required=True, validate=[length(1, 30), NO_CONTROL])
    name = Str(required=True, validate=[length(1, 30), NO_CONTROL])


class CertificateOut(Schema):
    valid = fields.Boolean(required=True)
    certificate_no = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    series = fields.String(allow_none=True)
    level = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    year = fields.Integer(allow_none=True)
    approved = fields.String(allow_none=True)


class MessageOut(Schema):
    message = fields.Raw(required=True)


def _full() -> bool:
    return bool(set(FULL_IDENTIFIER_ROLES) & g.user.role_names)


def _out(declaration: Declaration, account: Account) -> dict:
    lk = lookups()
    full = _full()
    org = {o.id: o.name for o in (declaration.unit, declaration.department, declaration.committee) if o}
    return {
        "id": declaration.id, "year": declaration.year, "status": declaration.status,
        "status_label": STATUS_LABELS[declaration.status], "name": account.first_name,
        "id_number": (account.id_number if full else mask_id_number(account.id_number)) or "",
        "phone": (account.phone if full else mask_phone(account.phone)) or "",
        "series": declaration.series, "series_name": lk.name("title_series", declaration.series),
        "level": declaration.level, "level_name": lk.name("title_level", declaration.level),
        "unit": org.get(declaration.unit_id), "department": org.get(declaration.department_id),
        "committee": org.get(declaration.committee_id), "submitted_at": declaration.submitted_at,
        "certificate_no": declaration.certificate_no, "version": declaration.version,
    }


class DeclarationApi(ChineseApi, BaseApi):
    """申报 within the caller's scope."""
    resource_name = "declarations"
    openapi_spec_tag = "申报"
    class_permission_name = "DeclarationApi"
    base_permissions = ["can_get", "can_post"]
    method_permission_name = {"get_list": "get", "get_one": "get", "get_history": "get", "post_step": "post"}
    openapi_spec_component_schemas = (DeclarationQuery, DeclarationOut, DeclarationList, DeclarationDetail,
                                      EventOut, HistoryOut, StepIn, MessageOut)

    def _visible(self, pk: int):
        if pk > 2 ** 31 - 1:   # beyond the id column: no such declaration (not a database error)
            return None
        return db.session.execute(select(Declaration, Account).join(Account, Account.id == Declaration.applicant_id)
                                  .where(Declaration.id == pk, visible_declarations(g.user))).first()

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """申报列表（调用者权限范围内）
        ---
        get:
          summary: 申报列表
          parameters:
          - {in: query, name: page, schema: {type: integer, minimum: 1, maximum: 100000}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 100}}
          - {in: query, name: status, schema: {type: string, enum: [unit_review, dept_review, committee_receive,
              committee_review, office_review, publicity, approved, rejected, returned, overdue]}}
          - {in: query, name: series, schema: {type: string, minLength: 1, maxLength: 10,
              pattern: "^[^\\x00-\\x1f\\x7f-\\x9f]*$"}}
          - {in: query, name: level, schema: {type: string, minLength: 1, maxLength: 10,
              pattern: "^[^\\x00-\\x1f\\x7f-\\x9f]*$"}}
          - {in: query, name: year, schema: {type: integer, minimum: 2000, maximum: 2100}}
          - {in: query, name: unit, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200:
              description: 申报列表
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/DeclarationList'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        try:
            q = DeclarationQuery().load(request.args.to_dict())
        except ValidationError as exc:
            return self.response_400(message=_errors(exc))
        where = [visible_declarations(g.user)]
        for key in ("status", "series", "level", "year"):
            if key in q:
                where.append(getattr(Declaration, key) == q[key])
        if "unit" in q:
            where.append(Declaration.unit_id == q["unit"])
        count = db.session.scalar(select(func.count(Declaration.id)).where(*where))
        rows = db.session.execute(
            select(Declaration, Account).join(Account, Account.id == Declaration.applicant_id).where(*where)
            .order_by(Declaration.id.desc()).limit(q["page_size"]).offset((q["page"] - 1) * q["page_size"])).all()
        result = DeclarationOut(many=True).dump([_out(d, a) for d, a in rows])
        if rows and _full():
            identifiers_read("pii.api", "declaration", len(rows), page=q["page"])
        return self.response(200, count=count, page=q["page"], page_size=q["page_size"], result=result)

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get_one(self, pk):
        """一条申报
        ---
        get:
          summary: 一条申报及调用者现在可执行的审核步骤
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 0, maximum: 2147483647}}
          responses:
            200:
              description: 申报
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/DeclarationDetail'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        return self._detail(pk)

    @expose("/<int:pk>/history", methods=["GET"])
    @protect()
    @safe
    def get_history(self, pk):
        """审批记录
        ---
        get:
          summary: 审批记录（按时间顺序）
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 0, maximum: 2147483647}}
          responses:
            200:
              description: 审批记录
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/HistoryOut'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        row = self._visible(pk)
        if row is None:
            return self.response_404()
        events = [{"action": e.action, "from_status": e.from_status, "to_status": e.to_status,
                   "actor_name": e.actor_name, "org_name": e.org_name or "", "opinion": e.opinion or "",
                   "created_at": e.created_at} for e in history(row[0])]
        return self.response(200, result=EventOut(many=True).dump(events))

    @expose("/<int:pk>/steps", methods=["POST"])
    @protect()
    @safe
    def post_step(self, pk):
        """审核步骤（审核通过、退回、接收、评审通过、评审不通过）
        ---
        post:
          summary: 执行一个审核步骤（与网页相同的规则）
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 0, maximum: 2147483647}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/StepIn'}
          responses:
            200:
              description: 步骤已执行；返回新的状态
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/DeclarationDetail'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            413: {$ref: '#/components/responses/413'}
            409:
              description: 当前状态下不能执行，或他人已处理
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/MessageOut'}
        """
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return self.response_400(message="请求体应为JSON对象")
        try:
            step = StepIn().load(payload)
        except ValidationError as exc:
            return self.response_400(message=_errors(exc))
        row = self._visible(pk)
        if row is None:
            return self.response_404()
        declaration, account = row
        try:
            perform(declaration, step["action"], g.user, step["opinion"], expected_version=step["version"])
        except Conflict as exc:
            db.session.rollback()
            return self.response(409, message=str(exc))
        return self._detail(pk)

    def _detail(self, pk):
        row = self._visible(pk)
        if row is None:
            return self.response_404()
        declaration, account = row
        out = _out(declaration, account)
        out["steps"] = [{"action": s.action, "label": s.label} for s in steps_for(declaration, g.user)]
        out = DeclarationDetail().dump(out)
        if _full():
            identifiers_read("pii.api", f"declaration:{declaration.id}", 1)
        return self.response(200, **out)


class CertificateApi(ChineseApi, BaseApi):
    """The certificate check of /verify/, for other systems."""
    resource_name = "certificates"
    openapi_spec_tag = "证书查验"
    class_permission_name = "DeclarationApi"
    base_permissions = ["can_get"]
    method_permission_name = {"check": "get"}
    openapi_spec_component_schemas = (CertificateQuery, CertificateOut)

    @expose("/check", methods=["GET"])
    @protect()
    @safe
    def check(self):
        """证书查验
        ---
        get:
          summary: 证书编号与姓名是否对应一张有效证书（姓名掩码）
          parameters:
          - {in: query, name: certificate_no, required: true,
             schema: {type: string, minLength: 1, maxLength: 30,
               pattern: "^[^\\x00-\\x1f\\x7f-\\x9f]*$"}}
          - {in: query, name: name, required: true,
             schema: {type: string, minLength: 1, maxLength: 30,
               pattern: "^[^\\x00-\\x1f\\x7f-\\x9f]*$"}}
          responses:
            200:
              description: 查验结果
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/CertificateOut'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        try:
            q = CertificateQuery().load(request.args.to_dict())
        except ValidationError as exc:
            return self.response_400(message=_errors(exc))
        found = find_certificate(normalise_text(q["certificate_no"]), normalise_text(q["name"]))
        if found is None:
            return self.response(200, valid=False)
        return self.response(200, valid=True, certificate_no=found["number"], name=found["name"],
                             series=found["series"], level=found["level"], title=found["title"],
                             year=found["year"], approved=found["approved"])


class OpenApi(ChineseApi, FabOpenApi):
    """The OpenAPI document, for signed-in staff (browser session or token)."""
    class_permission_name = "OpenApi"

    @expose("/<version>/_openapi")
    @protect()
    @safe
    def get(self, version):
        """The OpenAPI document of one API version.
        ---
        get:
          description: 一个版本的 OpenAPI 文档（已登录的工作人员）。
          parameters:
          - {in: path, name: version, required: true, schema: {type: string}}
          responses:
            200:
              description: OpenAPI 文档
              content:
                application/json:
                  schema: {type: object}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        api_spec = self._create_api_spec(version)
        apis = [v for v in current_app.appbuilder.baseviews if isinstance(v, BaseApi) and v.version == version]
        if not apis:
            return self.response_404()
        for api in apis:
            api.add_api_spec(api_spec)
        return self.response(200, **api_spec.to_dict())


class MenuApi(ChineseApi, FabMenuApi):
    """FAB's menu as data, its refusals in Chinese and documented."""

    @expose("/", methods=["GET"])
    @protect(allow_browser_login=True)
    @permission_name("get")
    def get_menu_data(self):
        """The menu the caller may open.
        ---
        get:
          description: 调用者可以打开的菜单（树形结构）。
          responses:
            200:
              description: 菜单
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {type: array, items: {type: object}}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        return self.response(200, result=current_app.appbuilder.menu.get_data())


class ApiDocsView(BaseView):
    """Swagger UI from Flask-AppBuilder's own static files, started by a
    script file (no inline script), for staff only."""
    route_base = "/api/docs"
    default_view = "index"
    method_permission_name = {"index": "docs"}

    @expose_view("/")
    @has_access
    def index(self):
        if not is_reviewer(g.user):
            abort(403)
        return self.render_template("insight/swagger.html",
                                    spec_url=url_for("OpenApi.get", version="v1"))




def install_token_errors(security_manager) -> None:
    """A missing, malformed, expired or revoked token answers 401 with a
    message, like every other refusal of the API (not flask-jwt-extended's 422)."""
    jwt = security_manager.jwt_manager

    def refused(*_args):
        return {"message": "令牌无效或已过期，请重新登录"}, 401

    jwt.invalid_token_loader(refused)
    jwt.unauthorized_loader(refused)
    jwt.expired_token_loader(refused)
    jwt.revoked_token_loader(refused)
    jwt.user_lookup_error_loader(refused)
