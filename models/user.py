"""The account: Flask-AppBuilder's user plus what this system needs."""
from flask_appbuilder.security.sqla.models import User as FabUser
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from models.clock import AwareDateTime
from models.identity import mask_id_number, mask_phone
from models.protected import Encrypted, blind_index, with_blind_index


def applicant_username(id_number: str) -> str:
    """An applicant logs in with the ID number, but the user-name column must
    not hold it in clear: it holds a name derived from the keyed hash."""
    return "sfz_" + blind_index(id_number)[:40]


@with_blind_index("id_number", "phone")
class Account(FabUser):
    __tablename__ = "ab_user"
    #: 身份证号 / 港澳台居民居住证号码, upper-case X; encrypted at rest (#10 item 6)
    id_number = Column(Encrypted, unique=True)
    #: its keyed hash: one account per ID, login and exact search
    id_number_hmac = Column(String(64), unique=True)
    #: one registration per phone number (A4); encrypted at rest
    phone = Column(Encrypted, unique=True)
    phone_hmac = Column(String(64), unique=True)
    #: the organisation node a reviewer acts for
    org_id = Column(Integer, ForeignKey("organisation.id"), index=True)
    org = relationship("Organisation")
    locked_until = Column(AwareDateTime)
    must_change_password = Column(Boolean, nullable=False, default=False)
    temp_password_hash = Column(String(256))
    temp_password_expires = Column(AwareDateTime)
    password_changed_at = Column(AwareDateTime)
    #: the TOTP secret of a staff member's authenticator app (encrypted) and
    #: the hashes of the unused recovery codes (JSON list)
    mfa_secret = Column(Encrypted)
    mfa_recovery = Column(Text)
    #: when the 申报协议 was accepted (PIPL: consent is recorded)
    agreement_accepted_at = Column(AwareDateTime)

    @classmethod
    def id_number_is(cls, value):
        return cls.id_number_hmac == blind_index(value)

    @classmethod
    def phone_is(cls, value):
        return cls.phone_hmac == blind_index(value)

    @property
    def login_name(self):
        """What 用户列表 shows as 登录账号: the masked ID for an applicant."""
        return self.masked_id_number if self.id_number else self.username

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


def _aware_account_times() -> None:
    """Flask-AppBuilder's own account times (本次登录, created, changed) are
    naive and taken from the server's clock: give them the offset and the
    TIME_ZONE clock like every other time."""
    from sqlalchemy import ColumnDefault

    from models.clock import now

    table = FabUser.__table__
    for name in ("last_login", "created_on", "changed_on"):
        column = table.c[name]
        column.type = AwareDateTime()
        if column.default is not None:
            column.default = ColumnDefault(now)
            column.default._set_parent(column)


_aware_account_times()
