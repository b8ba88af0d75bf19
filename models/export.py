from flask_appbuilder import Model
from sqlalchemy import Column, ForeignKey, Integer, String, Text

from models.clock import AwareDateTime, now


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
    #: what the job makes: "export" (a list as Excel) or "printout" (评审表 PDFs in one zip)
    kind = Column(String(20), nullable=False, default="export", server_default="export")
    #: each re-queue after a dead worker is a new attempt; an older attempt finds itself superseded
    attempt = Column(Integer, nullable=False, default=1, server_default="1")
    #: the worker's last sign of life; no heartbeat for JOB_STALE_SECONDS means it died
    heartbeat_at = Column(AwareDateTime)
    created_at = Column(AwareDateTime, nullable=False, default=now)
    finished_at = Column(AwareDateTime)
