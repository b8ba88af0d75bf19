from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, String, Text


class SiteText(Model):
    """Texts administrators edit, such as 天津市职称评审网上申报协议."""

    __tablename__ = "site_text"
    key = Column(String(50), primary_key=True)
    title = Column(String(200), nullable=False)
    body = Column(Text, nullable=False, default="")
    updated_at = Column(DateTime, default=datetime.now, onupdate=datetime.now)

    def __str__(self):
        return self.title
