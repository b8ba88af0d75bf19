"""#9 item 1: every path that creates or changes a user stores a hash made by
the one hasher, applies the password rule (A3), and a password set by an
administrator is temporary (the first login forces 修改密码)."""
from sqlalchemy import select

from app.accounts.auth import is_password_hash
from app.platform.extensions import db
from models import Account, Organisation
from tests.conftest import csrf_token, login, logout, page_text

# Every route that can create a user or change a password, and the test that walks it.
COVERED = {
    "UserView.add": "test_admin_added_user_is_hashed_and_must_change",
    "UserView.edit": "test_admin_edit_keeps_the_hash_and_stores_no_empty_phone",
    "UserView.action": "test_admin_reset_password_applies_the_rule_and_is_temporary",
    "UserView.action_post": "test_admin_reset_password_applies_the_rule_and_is_temporary",
    "ResetPasswordView.this_form_post": "test_admin_reset_password_applies_the_rule_and_is_temporary",
    "ResetMyPasswordView.this_form_post": "test_fab_own_password_and_profile_forms_lead_to_change_password",
    "UserInfoEditView.this_form_post": "test_fab_own_password_and_profile_forms_lead_to_change_password",
    "AccountView.password": "tests/accounts/test_passwords.py (change, temporary password)",
    "RegisterView.form": "tests/accounts/test_registration.py::test_full_registration",
    "AuthView.forgot": "tests/accounts/test_passwords.py::test_temporary_password_flow",
    "AuthView.login": "tests/accounts/test_login.py (a temporary password is consumed at login)",
    "UserView.delete": "deletes, sets no password",
    "ResetMyPasswordView.this_form_get": "test_fab_own_password_and_profile_forms_lead_to_change_password",
    "UserInfoEditView.this_form_get": "test_fab_own_password_and_profile_forms_lead_to_change_password",
}
# FAB's group table and its e-mail registration queue hold no account password.
NOT_ACCOUNTS = ("UserGroupModelView.", "RegisterUserModelView.")
USER_VIEWS = ("UserView.", "ResetPasswordView.", "ResetMyPasswordView.", "UserInfoEditView.", "RegisterView.",
              "AccountView.", "AuthView.", "RegisterUserModelView.", "UserGroupModelView.")


def stored(app, username):
    with app.app_context():
        return db.session.scalar(select(Account).where((Account.username == username) | Account.id_number_is(username)))


def test_every_route_that_writes_users_is_walked(app):
    writing = {rule.endpoint for rule in app.url_map.iter_rules()
               if rule.endpoint.startswith(USER_VIEWS) and "POST" in rule.methods
               and not rule.endpoint.endswith(("captcha_image", "logout", "sms", "agreement"))
               and not rule.endpoint.startswith(NOT_ACCOUNTS)}
    assert writing - set(COVERED) == set()


def add_user(app, client, password, **changes):
    with app.app_context():
        role_id = app.appbuilder.sm.find_role("单位审核").id
        org = db.session.scalar(select(Organisation.id).where(Organisation.name == "天津百利机械装备集团有限公司"))
    data = {"first_name": "周洁", "username": "zhoujie", "email": "zhoujie@example.com", "phone": "",
            "roles": role_id, "active": "y", "password": password, "conf_password": password, "org": org,
            "csrf_token": csrf_token(client, "/users/add")}
    data.update(changes)
    return client.post("/users/add", data=data)


def test_admin_added_user_is_hashed_and_must_change(app, client):
    login(client, "admin")
    weak = add_user(app, client, "abc")
    assert weak.status_code == 200 and "密码长度应为8至20位" in page_text(weak)
    assert stored(app, "zhoujie") is None
    assert add_user(app, client, "Start2026x").status_code == 302
    user = stored(app, "zhoujie")
    assert is_password_hash(user.password) and user.password != "Start2026x"
    assert user.must_change_password and user.phone is None
    logout(client)
    response = login(client, "zhoujie", password="Start2026x")
    assert response.status_code == 302 and "/account/password" in response.headers["Location"]
    assert client.get("/").status_code == 302  # nothing else until the password is changed
    token = csrf_token(client, "/account/password")
    done = client.post("/account/password", data={"new_password": "Mine2026abc", "confirm": "Mine2026abc",
                                                   "csrf_token": token})
    assert done.status_code == 302 and not stored(app, "zhoujie").must_change_password
    logout(client)
    assert login(client, "zhoujie", password="Mine2026abc").status_code == 302
    assert client.get("/").status_code == 200


def test_admin_add_without_a_role_is_a_message_not_an_error(app, client):
    login(client, "admin")
    response = add_user(app, client, "Start2026x", roles="")
    assert response.status_code == 200 and "请至少选择一个角色" in page_text(response)
    assert stored(app, "zhoujie") is None


def test_admin_edit_keeps_the_hash_and_stores_no_empty_phone(app, client):
    """#9 item 16 / #10 item 14: two accounts without a phone can exist."""
    login(client, "admin")
    assert add_user(app, client, "Start2026x").status_code == 302
    assert add_user(app, client, "Start2026y", username="zhoujie2", email="z2@example.com").status_code == 302
    user = stored(app, "zhoujie")
    before = user.password
    token = csrf_token(client, f"/users/edit/{user.id}")
    with app.app_context():
        role_id = app.appbuilder.sm.find_role("单位审核").id
    response = client.post(f"/users/edit/{user.id}", data={
        "first_name": "周洁洁", "username": "zhoujie", "email": "zhoujie@example.com", "phone": "",
        "roles": role_id, "active": "y", "org": user.org_id, "csrf_token": token})
    assert response.status_code == 302
    after = stored(app, "zhoujie")
    assert after.first_name == "周洁洁" and after.password == before and after.phone is None
    assert stored(app, "zhoujie2").phone is None


def test_admin_reset_password_applies_the_rule_and_is_temporary(app, client):
    login(client, "admin")
    user = stored(app, "baili_hr")
    start = client.post(f"/users/action/resetpasswords/{user.id}",
                        data={"csrf_token": csrf_token(client, "/account/password")})
    assert start.status_code == 302 and "/resetpassword/form" in start.headers["Location"]
    form = page_text(client.get(start.headers["Location"]))
    assert "does not check" not in form and "首次登录时必须修改" in form
    token = csrf_token(client, f"/resetpassword/form?pk={user.id}")
    weak = client.post(f"/resetpassword/form?pk={user.id}",
                       data={"password": "abc", "conf_password": "abc", "csrf_token": token})
    assert stored(app, "baili_hr").password == user.password
    assert "密码长度应为8至20位" in page_text(weak) and weak.status_code == 200
    client.post(f"/resetpassword/form?pk={user.id}",
                data={"password": "Reset2026x", "conf_password": "Reset2026x", "csrf_token": token})
    after = stored(app, "baili_hr")
    assert after.password != user.password and is_password_hash(after.password) and after.must_change_password
    other = app.test_client()
    response = login(other, "baili_hr", password="Reset2026x")
    assert response.status_code == 302 and "/account/password" in response.headers["Location"]
    with app.app_context():
        from sqlalchemy import text
        assert "password.admin_reset" in {a for (a,) in db.session.execute(text("SELECT action FROM audit_event"))}


def test_fab_own_password_and_profile_forms_lead_to_change_password(app, client):
    login(client, "zcb")
    before = stored(app, "zcb").password
    for path in ("/resetmypassword/form", "/userinfoeditview/form"):
        token = csrf_token(client, "/account/password")
        response = client.post(path, data={"password": "abc", "conf_password": "abc", "csrf_token": token})
        assert response.status_code == 302 and "/account/password" in response.headers["Location"]
    assert stored(app, "zcb").password == before


def test_create_admin_command_sets_a_temporary_hashed_password(app):
    import re

    result = app.test_cli_runner().invoke(args=["create-admin", "--username", "admin2", "--email", "a2@example.com"])
    assert result.exit_code == 0, result.output
    password = re.search(r"初始密码：(\S+)", result.output).group(1)
    user = stored(app, "admin2")
    assert is_password_hash(user.password) and user.must_change_password
    response = login(app.test_client(), "admin2", password=password)
    assert response.status_code == 302 and "/account/password" in response.headers["Location"]


def test_a_plain_password_never_reaches_the_database(app):
    import pytest

    with app.app_context():
        user = db.session.scalar(select(Account).where(Account.username == "zcb"))
        user.password = "Plain2026x"
        with pytest.raises(ValueError):
            db.session.commit()
        db.session.rollback()
