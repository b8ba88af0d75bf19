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
from permissions.roles import ADMIN_ROLE, APPLICANT_ONLY, APPLICANTS_DATA, AUDITOR_ONLY, PUBLIC_ROLE, ROLE_PERMISSIONS


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
    for view, permission in [*APPLICANT_ONLY, *AUDITOR_ONLY, *APPLICANTS_DATA]:
        found = sm.find_permission_view_menu(permission, view)
        if found is not None and found in admin.permissions:
            sm.del_permission_role(admin, found)
    from app.data.seed import seed_dictionaries

    seed_dictionaries()


def rotate_field_keys() -> int:
    """Key rotation for encrypted identifiers: every value of every encrypted
    column of every table is read with whichever configured key made it and
    written again with the first key. Returns the number of rows."""
    from flask_appbuilder import Model
    from sqlalchemy import select, update

    from models.protected import Encrypted

    count = 0
    for table in Model.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, Encrypted)]
        if not columns:
            continue
        key = table.c.id
        for row in db.session.execute(select(key, *columns)).all():
            db.session.execute(update(table).where(key == row[0])
                               .values({c.name: value for c, value in zip(columns, row[1:])}))
            count += 1
    db.session.commit()
    return count


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

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
    @click.option("--no-schedule", is_flag=True, help="Do not enqueue the periodic tasks from this worker.")
    @click.option("--lanes", default="print,main,bulk", show_default=True,
                  help="The queues to serve, first first (print: printouts a person waits for; "
                       "main: SMS and the rest; bulk: batch printouts).")
    def worker_command(burst, no_schedule, lanes):
        """Process the job queue (RQ on REDIS_URL); also enqueues periodic tasks."""
        from app.platform.jobs import LANES, queue_url, run_worker

        chosen = tuple(lane.strip() for lane in lanes.split(",") if lane.strip())
        if not chosen or set(chosen) - set(LANES):
            raise click.BadParameter(f"可选：{', '.join(LANES)}", param_hint="--lanes")

        if not queue_url():
            raise click.ClickException("没有配置 REDIS_URL（或 JOB_REDIS_URL），任务在 Web 进程内直接执行，无需 worker")
        if {"print", "bulk"} & set(chosen):
            from reports.pdf import PdfError, warm_up
            try:
                warm_up()
            except PdfError as exc:   # printouts will fail with their own message; other jobs still run
                click.echo(f"打印组件未就绪：{exc}", err=True)
        run_worker(current_app._get_current_object(), burst=burst, schedule=not no_schedule, lanes=chosen)

    @app.cli.command("storage-copy")
    @click.option("--from-dir", default=None, help="The local upload folder (default UPLOAD_DIR).")
    def storage_copy_command(from_dir):
        """Copy local files into the configured bucket, verifying every one."""
        from app.platform.files import copy_local_to, local_source
        from app.platform.storage import storage

        target = storage()
        if target.name != "s3":
            raise click.ClickException("请先设置 STORAGE_BACKEND=s3 与 S3_BUCKET 等对象存储参数")
        copied, failed = copy_local_to(target, local_source(from_dir))
        click.echo(f"已复制并校验 {copied} 个文件")
        if failed:
            raise click.ClickException(f"{len(failed)} 个文件复制失败：{', '.join(failed[:20])}")

    @app.cli.command("check-storage")
    def check_storage_command():
        """List attachments whose file is missing (e.g. after a restore); exit 1 if any."""
        from app.platform.files import missing_attachments

        missing = missing_attachments()
        for a in missing:
            click.echo(f"缺失：附件 {a.id}（申报 {a.declaration_id}，{a.section}/{a.kind}，{a.original_name}）"
                       f" 文件 {a.storage_key}")
        click.echo(f"共 {len(missing)} 个附件文件缺失")
        if missing:
            raise SystemExit(1)

    @app.cli.command("sweep-storage")
    @click.option("--dry-run", is_flag=True, help="Report only; remove nothing.")
    def sweep_storage_command(dry_run):
        """Files without rows (removed after STORAGE_ORPHAN_GRACE_HOURS) and rows without files."""
        from app.platform.files import sweep

        report = sweep(remove=not dry_run)
        click.echo(f"无记录的文件 {len(report.orphans)} 个（已删除 {len(report.removed)} 个）；"
                   f"文件缺失的记录 {len(report.missing)} 条")
        for table, id_, key in report.missing:
            click.echo(f"缺失：{table} {id_} 文件 {key}")

    @app.cli.command("rotate-field-keys")
    def rotate_field_keys_command():
        """Re-encrypt ID numbers and phones with the first of FIELD_ENCRYPTION_KEYS."""
        click.echo(f"已用新密钥重新加密 {rotate_field_keys()} 行数据中的身份证号、手机号等加密字段")

    @app.cli.command("make-keys")
    def make_keys_command():
        """Print new production keys as environment lines (keep them in the vault, not in the repository)."""
        from config import new_keys

        for name, value in new_keys().items():
            click.echo(f"{name}={value}")

    @app.cli.command("purge-expired")
    def purge_command():
        """Delete expired sessions, captcha and SMS codes from the database store."""
        from app.platform.kvstore import kv

        click.echo(f"已清理 {kv().purge_expired()} 条过期记录")

    @app.cli.command("remind-overdue")
    def remind_overdue_command():
        """Remind reviewers of overdue declarations (the daily task, run by hand or cron)."""
        from app.platform.jobs import enqueue

        click.echo(f"已提醒 {enqueue('remind-overdue')} 位审核人员")
