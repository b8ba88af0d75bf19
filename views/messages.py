"""我的消息 (B5): the notifications of every status change, newest first."""

from flask import g
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select, update

from app.platform.extensions import db
from models import Notification, clock


class MessageView(BaseView):
    route_base = "/messages"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        notes = db.session.scalars(select(Notification).where(Notification.account_id == g.user.id)
                                   .order_by(Notification.id.desc()).limit(200)).all()
        unread = {n.id for n in notes if n.read_at is None}
        if unread:
            db.session.execute(update(Notification).where(Notification.id.in_(unread)).values(read_at=clock.now()))
            db.session.commit()
        return self.render_template("messages.html", notes=notes, unread=unread)
