"""The applicant's own data as a download (PIPL): account, declarations as
people read them, history, messages and attachments, in one zip."""
from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import select

from app.declaration.data import DeclarationData
from app.platform.extensions import db
from app.platform.storage import StorageMissing, storage
from app.review.history import history, snapshot_of
from app.review.workflow import STATUS_LABELS
from models import Attachment, Declaration, Notification


def personal_data_archive(account) -> bytes:
    """A zip of the applicant's account, declarations (as people read them),
    history, messages and attachments."""
    declarations = db.session.scalars(select(Declaration).where(Declaration.applicant_id == account.id)
                                      .order_by(Declaration.year)).all()
    notes = db.session.scalars(select(Notification).where(Notification.account_id == account.id)
                               .order_by(Notification.id)).all()
    content = {
        "账号": {"姓名": account.first_name, "身份证号": account.id_number, "手机号": account.phone,
               "邮箱": account.email, "注册时间": str(account.created_on or ""),
               "同意申报协议时间": str(account.agreement_accepted_at or "")},
        "申报": [{"申报年度": d.year, "状态": STATUS_LABELS[d.status], "证书编号": d.certificate_no or "",
                "内容": snapshot_of(DeclarationData(d)),
                "审批流程": [{"时间": str(e.created_at), "单位": e.org_name, "操作": e.action, "意见": e.opinion}
                         for e in history(d)]} for d in declarations],
        "消息": [{"时间": str(n.created_at), "内容": n.text} for n in notes],
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("我的数据.json", json.dumps(content, ensure_ascii=False, indent=2, default=str))
        for d in declarations:
            for a in db.session.scalars(select(Attachment).where(Attachment.declaration_id == d.id)):
                try:
                    archive.writestr(f"附件/{d.year}/{a.section}-{a.kind}-{a.id}.jpg", storage().read(a.storage_key))
                except StorageMissing:
                    archive.writestr(f"附件/{d.year}/{a.section}-{a.kind}-{a.id}.缺失.txt", "该附件文件缺失")
    return buf.getvalue()
