"""The account: Flask-AppBuilder's user plus what this system needs."""
from flask_appbuilder.security.sqla.models import User as FabUser
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import relationship

from models.identity import mask_id_number, mask_phone


class Account(FabUser):
    __tablename__ = "ab_user"
    #: 身份证号 / 港澳台居民居住证号码, upper-case X; the applicant's login name too
    id_number = Column(String(18), unique=True)
    #: one registration per phone number (A4)
    phone = Column(String(11), unique=True)
    #: the organisation node a reviewer acts for
    org_id = Column(Integer, ForeignKey("organisation.id"), index=True)
    org = relationship("Organisation")
    locked_until = Column(DateTime)
    must_change_password = Column(Boolean, nullable=False, default=False)
    temp_password_hash = Column(String(256))
    temp_password_expires = Column(DateTime)
    password_changed_at = Column(DateTime)
    #: when the 申报协议 was accepted (PIPL: consent is recorded)
    agreement_accepted_at = Column(DateTime)

    @property
    def display_name(self):
        return self.first_name

    @property
    def masked_id_number(self):
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self):
        return mask_phone(self.phone)

    @property
    def role_names(self):
        return {r.name for r in self.roles}

    def __str__(self):
        return self.first_name or self.username
