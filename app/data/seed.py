"""Seed the dictionaries from the national-standard CSV files in app/data
(PRODUCT M2) and the default texts. Idempotent: existing entries, perhaps
edited by administrators, are left alone; missing ones are added."""
from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from app.platform.extensions import db
from models import DictItem, SiteText, TitleLevel, TitleName, TitleSeries
from models.dictionary import STANDARD_KINDS

DATA_DIR = Path(__file__).resolve().parent

# Special pages are bound to an attribute of the series, not to its name
# (administrators rename and add series): the seed sets it for these codes.
SERIES_SPECIAL_PAGES = {"04": "health", "25": "teacher", "22": "accounting", "23": "accounting"}

#: 诚信承诺书 (W14), confirmed before each 提交; administrators edit it in 协议与文本
PLEDGE_TITLE = "诚信承诺书"
PLEDGE_BODY = """\
本人郑重承诺：所填报的个人信息、工作经历、业绩成果及上传的证书、论文等材料均真实、准确、完整，\
不存在伪造、变造、冒用或抄袭等情形；本人遵守职称评审纪律，不以任何方式干扰评审工作。\
如有违反，本人自愿承担取消申报或评审通过资格、撤销职称证书并记入诚信档案等后果。"""
AGREEMENT_TITLE = "天津市职称评审网上申报协议"
AGREEMENT_BODY = """\
一、申报人应当如实填写个人信息和申报材料，并对所填信息和上传材料的真实性、准确性、完整性负责。凡弄虚作假的，一经查实，按照有关规定取消申报或评审通过的资格，并记入诚信档案。

二、申报人以本人身份证号注册账号，每个身份证号、每个手机号只能注册一个账号。申报人应妥善保管账号和密码，因账号密码保管不善造成的后果由申报人承担。

三、本系统采集的身份证号、手机号、学历学位证书、职称证书等个人信息，仅用于职称申报、审核、评审和证书管理，由职称工作部门依照《中华人民共和国个人信息保护法》等规定予以保护，未经本人同意不向无关第三方提供。申报人可以查阅、下载本人的申报数据。

四、申报材料经单位审核、主管部门审核、评委会评审和职称办审批后生效。申报提交后不能修改；被退回的，申报人可以按照审核意见修改后重新提交。

五、申报人应及时登录系统查看审核进度和审核意见，并保持注册手机畅通，以便接收系统通知。

六、申报人勾选同意本协议后方可注册。"""


def _rows(name: str):
    with (DATA_DIR / f"{name}.csv").open(encoding="utf-8") as f:
        yield from csv.DictReader(f)


def seed_dictionaries() -> dict[str, int]:
    added: dict[str, int] = {}
    existing = {(k, c) for k, c in db.session.execute(select(DictItem.kind, DictItem.code))}
    rows = [(kind, order, row) for kind in STANDARD_KINDS for order, row in enumerate(_rows(kind))]
    rows += [(row["kind"], order, row) for order, row in enumerate(_rows("project_lists"))]
    for kind, order, row in rows:
        if (kind, row["code"]) in existing:
            continue
        note = row.get("note") or row.get("short_name") or row.get("civil_servant_name") or None
        db.session.add(DictItem(kind=kind, code=row["code"], name=row["name"],
                                parent_code=row.get("parent") or None, note=note, sort_order=order))
        existing.add((kind, row["code"]))
        added[kind] = added.get(kind, 0) + 1

    series = {s.code: s for s in db.session.scalars(select(TitleSeries))}
    for order, row in enumerate(_rows("zc_series")):
        if row["code"] not in series:
            series[row["code"]] = TitleSeries(code=row["code"], name=row["name"], sort_order=order,
                                              special_page=SERIES_SPECIAL_PAGES.get(row["code"]))
            db.session.add(series[row["code"]])

    levels = {lv.code: lv for lv in db.session.scalars(select(TitleLevel))}
    for order, row in enumerate(_rows("zc_level")):
        if row["code"] not in levels:
            levels[row["code"]] = TitleLevel(code=row["code"], name=row["name"], sort_order=order,
                                             parent=levels.get(row["parent"]))
            db.session.add(levels[row["code"]])
    level_by_name = {lv.name: lv for lv in levels.values()}

    titles = set(db.session.scalars(select(TitleName.code)))
    for row in _rows("zc_title"):
        if row["code"] not in titles and row["parent"] in series and row["level"] in level_by_name:
            db.session.add(TitleName(code=row["code"], name=row["name"], series=series[row["parent"]],
                                     level=level_by_name[row["level"]]))

    if db.session.get(SiteText, "agreement") is None:
        db.session.add(SiteText(key="agreement", title=AGREEMENT_TITLE, body=AGREEMENT_BODY))
    if db.session.get(SiteText, "pledge") is None:
        db.session.add(SiteText(key="pledge", title=PLEDGE_TITLE, body=PLEDGE_BODY))
    if db.session.get(SiteText, "help") is None:   # 帮助: question, answer, blank line (#14)
        db.session.add(SiteText(key="help", title="帮助（常见问题）",
                                body=(Path(__file__).parent / "help.txt").read_text(encoding="utf-8")))
    db.session.commit()
    return added
