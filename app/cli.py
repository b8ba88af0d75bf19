"""Commands: `flask setup` (schema, roles, permissions, dictionaries — run
once before starting workers), `flask create-admin`, `flask demo`,
`flask purge-expired`."""
from __future__ import annotations

import secrets
import string

import click
from flask import current_app
from flask_migrate import upgrade

from app.platform.extensions import db
from permissions.roles import ADMIN_ROLE, APPLICANT_ONLY, AUDITOR_ONLY, PUBLIC_ROLE, ROLE_PERMISSIONS


def setup_database() -> None:
    """Migrate, then create roles and Flask-AppBuilder's permission records.

    Done once by a command, never by app workers: several workers on a fresh
    database would race to insert the same permissions and crash.
    """
    upgrade()
    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    for role in [ADMIN_ROLE, PUBLIC_ROLE, *ROLE_PERMISSIONS]:
        sm.add_role(role)
    appbuilder.add_permissions(update_perms=True)
    admin = sm.find_role(ADMIN_ROLE)
    for view, permission in [*APPLICANT_ONLY, *AUDITOR_ONLY]:
        found = sm.find_permission_view_menu(permission, view)
        if found is not None and found in admin.permissions:
            sm.del_permission_role(admin, found)
    from app.data.seed import seed_dictionaries

    seed_dictionaries()


def rotate_field_keys() -> int:
    """Key rotation for encrypted identifiers: every value is read with
    whichever configured key made it and written again with the first key."""
    from sqlalchemy import select, update

    from models import Account

    table = Account.__table__
    rows = db.session.execute(select(table.c.id, table.c.id_number, table.c.phone)).all()
    for user_id, id_number, phone in rows:
        db.session.execute(update(table).where(table.c.id == user_id).values(id_number=id_number, phone=phone))
    db.session.commit()
    return len(rows)


def random_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return secrets.choice(string.ascii_letters) + "".join(secrets.choice(alphabet) for _ in range(11)) + \
        secrets.choice(string.digits)


def register_commands(app) -> None:
    @app.cli.command("setup")
    def setup_command():
        """Create or upgrade the schema; roles, permissions, dictionaries."""
        setup_database()
        click.echo("数据库已就绪（迁移、角色、权限、字典）。")

    @app.cli.command("create-admin")
    @click.option("--username", default="admin", show_default=True)
    @click.option("--name", default="系统管理员", show_default=True)
    @click.option("--email", default="admin@example.com", show_default=True)
    def create_admin_command(username, name, email):
        """Create the first administrator with a random password (printed once)."""
        from models import Account

        if db.session.query(Account).filter_by(username=username).first():
            raise click.ClickException(f"账号 {username} 已存在")
        password = random_password()
        sm = current_app.appbuilder.sm
        user = sm.add_user(username, name, "", email, sm.find_role(ADMIN_ROLE), password=password)
        if not user:
            raise click.ClickException("创建失败")
        user.must_change_password = True  # printed once: temporary (#9 item 1)
        db.session.commit()
        click.echo(f"管理员账号：{username}\n初始密码：{password}\n请登录后立即修改密码。")

    @app.cli.command("demo")
    def demo_command():
        """Load the demo organisations and one account for every role."""
        from app.data.demo import load_demo

        if current_app.config["ENV_NAME"] == "production":
            raise click.ClickException("演示数据不能在生产环境加载")
        for row in load_demo():
            click.echo(" | ".join(row))

    @app.cli.command("rotate-field-keys")
    def rotate_field_keys_command():
        """Re-encrypt ID numbers and phones with the first of FIELD_ENCRYPTION_KEYS."""
        click.echo(f"已用新密钥重新加密 {rotate_field_keys()} 个账号的身份证号和手机号")

    @app.cli.command("purge-expired")
    def purge_command():
        """Delete expired sessions, captcha and SMS codes from the database store."""
        from app.platform.kvstore import kv

        click.echo(f"已清理 {kv().purge_expired()} 条过期记录")
