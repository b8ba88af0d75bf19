"""Serving an attachment to whoever may see its declaration (the applicant,
and the reviewers within their scope): never from static/, always with a
safe type, no caching, and the original name only in the header."""
from flask import abort, g, request
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from app.platform.extensions import db
from app.platform.files import file_response
from app.platform.storage import StorageMissing, storage
from models import Attachment, Declaration
from permissions.scopes import visible_attachments


def visible_attachment(attachment_id: int) -> Attachment:
    attachment = db.session.scalar(
        select(Attachment).join(Declaration, Declaration.id == Attachment.declaration_id)
        .where(Attachment.id == attachment_id, visible_attachments(g.user)))
    return attachment or abort(404)


class AttachmentView(BaseView):
    route_base = "/attachments"

    @expose("/<int:attachment_id>")
    @has_access
    def file(self, attachment_id):
        attachment = visible_attachment(attachment_id)
        try:
            data = storage().read(attachment.storage_key)
        except StorageMissing:
            abort(404, description="附件文件缺失，请申报人重新上传")
        return file_response(data, attachment.original_name, inline=not request.args.get("download"))
