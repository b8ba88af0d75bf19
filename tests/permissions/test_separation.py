"""三员分立: the system administrator's and the audit administrator's roles
never meet on one account, nobody changes their own roles, and every such
attempt is refused with a message beside the field and audited — on every
path that gives roles (用户列表 add and edit, FAB's group screen, the ORM
under any command)."""
import pytest
from sqlalchemy import select, text

from app.platform.extensions import db
from models import Account
from tests.conftest import csrf_token, login, page_text


def role_id(app, name):
    with app.app_context():
        return app.appbuilder.sm.find_role(name).id


def account(app, username):
    with app.app_context():
        return db.session.scalar(select(Account).where(Account.username == username))


def role_names(app, username):
    with app.app_context():
        return sorted(r.name for r in db.session.scalar(select(Account).where(Account.username == username)).roles)


def audited(app, action):
    with app.app_context():
        return db.session.execute(text("SELECT target, actor, after FROM audit_event WHERE action = :a"),
                                  {"a": action}).all()


def edit_roles(app, client, username, roles):
    user = account(app, username)
    path = f"/users/edit/{user.id}"
    return client.post(path, data={"first_name": user.first_name, "username": username, "email": user.email or "",
                                   "phone": "", "roles": [role_id(app, r) for r in roles], "active": "y",
                                   "org": user.org_id or "", "csrf_token": csrf_token(client, path)})


def test_the_administrator_cannot_give_themselves_the_audit_role(app, client):
    login(client, "admin")
    response = edit_roles(app, client, "admin", ["管理员", "审计管理员"])
    assert response.status_code == 200 and "不能修改自己的角色" in page_text(response)
    assert role_names(app, "admin") == ["管理员"]
    assert client.get("/audit/").status_code in (302, 403)
    # Not even dropping one of their own roles.
    refused = edit_roles(app, client, "admin", ["审计管理员"])
    assert "不能修改自己的角色" in page_text(refused) and role_names(app, "admin") == ["管理员"]
    rows = audited(app, "user.roles_refused")
    assert len(rows) == 2 and all(actor == "admin" and target == f"ab_user:{account(app, 'admin').id}"
                                  for target, actor, _after in rows)


def test_the_separated_roles_never_meet_on_one_account(app, client):
    login(client, "admin")
    response = edit_roles(app, client, "audit", ["审计管理员", "管理员"])
    assert response.status_code == 200 and "管理员与审计管理员不能由同一账号兼任" in page_text(response)
    assert role_names(app, "audit") == ["审计管理员"]
    path = "/users/add"
    added = client.post(path, data={
        "first_name": "王强", "username": "wangqiang", "email": "wq@example.com", "phone": "",
        "roles": [role_id(app, "管理员"), role_id(app, "审计管理员")], "active": "y", "password": "Start2026x",
        "conf_password": "Start2026x", "csrf_token": csrf_token(client, path)})
    assert added.status_code == 200 and "管理员与审计管理员不能由同一账号兼任" in page_text(added)
    assert account(app, "wangqiang") is None
    assert len(audited(app, "user.roles_refused")) == 2
    # Other people's roles still change as before.
    assert edit_roles(app, client, "audit", ["审计管理员", "评审专家"]).status_code == 302
    assert role_names(app, "audit") == ["审计管理员", "评审专家"]


def test_groups_hand_out_no_roles(app, client):
    """FAB's group screen could put the administrator into a group holding the
    audit role: groups are not used here, so they give no role and cannot be
    made or changed."""
    login(client, "admin")
    path = "/groups/add"
    client.post(path, data={"name": "audit-too", "label": "audit-too", "description": "",
                            "users": [account(app, "admin").id], "roles": [role_id(app, "审计管理员")],
                            "csrf_token": csrf_token(client, "/account/password")})
    assert client.get("/audit/").status_code in (302, 403)
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM ab_group")).scalar() == 0
        from flask_appbuilder.security.sqla.models import Group, assoc_user_group
        group = Group(name="old", label="old", roles=[app.appbuilder.sm.find_role("审计管理员")])
        db.session.add(group)
        db.session.flush()
        db.session.execute(assoc_user_group.insert().values(user_id=account(app, "admin").id, group_id=group.id))
        db.session.commit()
    login(client, "admin")
    assert client.get("/audit/").status_code in (302, 403)           # a group from elsewhere grants nothing


def test_no_command_or_script_joins_the_roles_either(app):
    with app.app_context():
        admin = db.session.scalar(select(Account).where(Account.username == "admin"))
        admin.roles.append(app.appbuilder.sm.find_role("审计管理员"))
        with pytest.raises(ValueError, match="三员分立"):
            db.session.commit()
        db.session.rollback()
    assert role_names(app, "admin") == ["管理员"]
