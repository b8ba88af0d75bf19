"""Tables. Import this package before Flask-AppBuilder initialises, so every
table is registered on FAB's `Model.metadata` (which is not `db.Model`)."""
from models.audit import AuditEvent
from models.committee import (
    Ballot, Certificate, CorrectionDeadline, Expert, ExpertConflict, ExpertDraw, GroupDeclaration, GroupExpert,
    Holiday, Meeting, Objection, PledgeConfirmation, ReviewGroup, ReviewOpinion, VoteCast, expert_committee,
)
from models.declaration import Attachment, Declaration
from models.dictionary import DICTIONARY_KINDS, SPECIAL_PAGES, DictItem, TitleLevel, TitleName, TitleSeries
from models.export import ExportJob
from models.kv import KVEntry
from models.insight import Announcement, OverdueReminder, StepTimeLimit
from models.organisation import ORG_KINDS, Organisation
from models.sections import SECTION_MODELS
from models.site import SiteText
from models.user import Account
from models.workflow import CertificateCounter, DeclarationYear, DefenceArrangement, Notification, ReviewEvent

__all__ = [
    "AuditEvent",
    "Ballot", "Certificate", "CorrectionDeadline", "Expert", "ExpertConflict", "ExpertDraw", "GroupDeclaration",
    "GroupExpert", "Holiday", "Meeting", "Objection", "PledgeConfirmation", "ReviewGroup", "ReviewOpinion",
    "VoteCast", "expert_committee",
    "ExportJob", "CertificateCounter", "DeclarationYear", "DefenceArrangement", "Notification",
    "ReviewEvent", "Attachment", "Declaration", "SECTION_MODELS", "DICTIONARY_KINDS", "ORG_KINDS", "SPECIAL_PAGES",
    "DictItem", "KVEntry", "Organisation", "SiteText", "TitleLevel", "TitleName", "TitleSeries", "Account",
    "Announcement", "OverdueReminder", "StepTimeLimit",
]
