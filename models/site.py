from flask_appbuilder import Model
from sqlalchemy import Column, String, Text

from models.clock import AwareDateTime, now


class SiteText(Model):
    """Texts administrators edit, such as 天津市职称评审网上申报协议."""

    __tablename__ = "site_text"
    key = Column(String(50), primary_key=True)
    title = Column(String(200), nullable=False)
    body = Column(Text, nullable=False, default="")
    updated_at = Column(AwareDateTime, default=now, onupdate=now)

    def __str__(self):
        return self.title
