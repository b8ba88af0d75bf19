"""The JSON login (/api/v1/security/login) under the same rules as the form:
rate limits per IP, lock-out after five failures, temporary passwords.
Its tokens belong to an API session with the web session's limits (see
app/accounts/sessions.py): refresh gives a new access token while that
session lives, logout ends it."""
from flask import current_app, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.api import SecurityApi as FabSecurityApi
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt, get_jwt_identity, jwt_required

from app.accounts import auth as accounts
from app.accounts import mfa
from app.accounts.sessions import end_api_session, open_api_session
from app.platform.ratelimit import allow, client_ip
from views.account import TOO_MANY, login_allowed
from views.api import ChineseApi


class SecurityApi(ChineseApi, FabSecurityApi):
    @expose("/login", methods=["POST"])
    @safe
    def login(self):
        """Log in with {"username", "password"}; returns a JWT access token.
        ---
        post:
          description: 账号（身份证号）和密码登录，返回 JWT。
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [username, password]
                  properties:
                    username: {type: string, description: 账号（身份证号）}
                    password: {type: string}
                    otp: {type: string, description: 需要第二重验证的账号：身份验证器的动态验证码}
                    refresh: {type: boolean, description: 同时返回刷新令牌}
          responses:
            200:
              description: 登录成功
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      access_token: {type: string}
                      refresh_token: {type: string}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            413: {$ref: '#/components/responses/413'}
            429: {$ref: '#/components/responses/429'}
        """
        # The documented ceiling per address (AUTH_RATE_LIMIT), in the shared
        # store like the form's limits, before the per-account limits.
        if not allow("api-login-ip", client_ip(), current_app.config["AUTH_RATE_LIMIT"]):
            return self.response(429, message=TOO_MANY)
        payload = request.get_json(silent=True)
        if not login_allowed(payload.get("username") if isinstance(payload, dict) else None):
            return self.response(429, message=TOO_MANY)
        if not isinstance(payload, dict) or not isinstance(payload.get("username"), str) \
                or not isinstance(payload.get("password"), str):
            return self.response_400(message="请提供账号和密码")
        user, error = accounts.authenticate(payload["username"], payload["password"])
        if user is None:
            return self.response(401, message=error)
        if mfa.required_for(user):
            # The same second factor as the form (#10 item 5): {"otp": "123456"}.
            if not mfa.enrolled(user):
                return self.response(403, message="请先在网页登录并绑定身份验证器")
            if not isinstance(payload.get("otp"), str) or not mfa.verify(user, payload["otp"]):
                return self.response(401, message="需要正确的动态验证码（otp）")
        if user.must_change_password:
            return self.response(403, message="请先登录网页修改临时密码")
        claims = {"sid": open_api_session(user.id)}
        result = {"access_token": create_access_token(identity=str(user.id), fresh=True, additional_claims=claims)}
        if payload.get("refresh"):
            result["refresh_token"] = create_refresh_token(identity=str(user.id), additional_claims=claims)
        return self.response(200, **result)

    @expose("/refresh", methods=["POST"])
    @jwt_required(refresh=True)
    @safe
    def refresh(self):
        """A new access token for the same API session, while it lives.
        ---
        post:
          description: 用刷新令牌换取新的访问令牌（会话空闲超时、超过最长时限、修改密码、角色变更、停用或退出后失效）。
          responses:
            200:
              description: 新的访问令牌
            401:
              $ref: '#/components/responses/401'
            413: {$ref: '#/components/responses/413'}
          security:
            - jwt_refresh: []
        """
        token = create_access_token(identity=get_jwt_identity(), fresh=False,
                                    additional_claims={"sid": get_jwt().get("sid")})
        return self.response(200, access_token=token)

    @expose("/logout", methods=["POST"])
    @jwt_required(verify_type=False)
    @safe
    def logout(self):
        """End the API session: its access and refresh tokens stop working.
        ---
        post:
          description: 退出登录：本次登录取得的访问令牌和刷新令牌全部失效。
          responses:
            200:
              description: 已退出
            401:
              $ref: '#/components/responses/401'
            413: {$ref: '#/components/responses/413'}
          security:
            - jwt: []
        """
        end_api_session(get_jwt().get("sid"))
        return self.response(200, message="已安全退出")
