from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text


class ExportJob(Model):
    """A large list export made in the background (P5); its progress is in
    the database so any app instance can report it, its file in the storage."""

    __tablename__ = "export_job"
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    #: the list's filters and search, as JSON (no personal data leaves the server)
    criteria = Column(Text, nullable=False)
    status = Column(String(10), nullable=False, default="queued")   # queued, running, done, failed
    total = Column(Integer, nullable=False, default=0)
    done = Column(Integer, nullable=False, default=0)
    storage_key = Column(String(100))
    filename = Column(String(100))
    error = Column(String(200))
    created_at = Column(DateTime, nullable=False, default=datetime.now)
    finished_at = Column(DateTime)
