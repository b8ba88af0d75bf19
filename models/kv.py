from flask_appbuilder import Model
from sqlalchemy import Column, Float, Index, String, Text


class KVEntry(Model):
    """Short-lived shared state when no Redis is configured (see app.platform.kvstore)."""

    __tablename__ = "kv_entry"
    key = Column(String(200), primary_key=True)
    value = Column(Text, nullable=False)
    #: groups the entries of one account, e.g. all its sessions
    owner = Column(String(64), index=True)
    expires_at = Column(Float, nullable=False)

    __table_args__ = (Index("ix_kv_entry_expires_at", "expires_at"),)
