"""电子职称证书 (W13): issued by the final approval (see workflow._apply),
downloadable by the holder and the title office, revocable with a reason;
the public check `/verify/` reads its state from here."""
from __future__ import annotations


from sqlalchemy import select, update

from app.declaration.data import DeclarationData, lookups
from app.platform.audit import record
from app.platform.extensions import db
from app.review.meetings import Refused
from models import Account, Certificate, Declaration, Organisation, clock
from models.identity import mask_id_number


def certificate_of(declaration: Declaration) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.declaration_id == declaration.id))


def certificate_content(declaration: Declaration) -> dict:
    """What the A4 certificate prints: holder, ID masked, series, level, 资格名称, committee, date, number."""
    certificate = certificate_of(declaration)
    if certificate is None:
        raise Refused("该申报尚未发证")
    lk = lookups()
    basic = DeclarationData(declaration).single("basic")
    account = db.session.get(Account, declaration.applicant_id)
    committee = db.session.get(Organisation, declaration.committee_id) if declaration.committee_id else None
    return {"number": certificate.number, "name": account.first_name, "id_number": mask_id_number(account.id_number),
            "series": lk.name("title_series", declaration.series), "level": lk.name("title_level", declaration.level),
            "title": lk.name("title_name", basic.title) if basic else "", "major": basic.major if basic else "",
            "committee": committee.name if committee else "", "issued_on": certificate.issued_on,
            "year": declaration.year, "revoked": certificate.revoked_at is not None}


def revoke(user, declaration: Declaration, reason: str) -> Certificate:
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise Refused("请填写撤销原因")
    changed = db.session.execute(update(Certificate).where(Certificate.declaration_id == declaration.id,
                                                           Certificate.revoked_at.is_(None))
                                 .values(revoked_at=clock.now(), revoked_by=user.id, revoke_reason=reason)).rowcount
    if not changed:
        db.session.rollback()
        raise Refused("该证书不存在或已撤销")
    record("certificate.revoke", f"declaration:{declaration.id}", after={"reason": reason})
    db.session.commit()
    return certificate_of(declaration)


def certificate_state(number: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.number == number))


def applicant_records(user) -> list[tuple[Declaration, Certificate | None]]:
    """历年申报记录: the applicant's declarations of every year, with their certificates."""
    return db.session.execute(
        select(Declaration, Certificate).outerjoin(Certificate, Certificate.declaration_id == Declaration.id)
        .where(Declaration.applicant_id == user.id).order_by(Declaration.year.desc())).all()
