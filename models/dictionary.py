"""Dictionaries (PRODUCT M2), seeded from national standards (app/data/*.csv)."""
from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

#: simple code lists kept in `dict_item`, by kind: (label, CSV file)
DICTIONARY_KINDS = {
    "ethnicity": "民族",
    "political_status": "政治面貌",
    "education": "学历",
    "degree": "学位",
    "degree_level": "学位级别",
    "gender": "性别",
    "assessment_result": "考核结果",
    "admin_post_level": "行政职务级别",
    # lists of this system (app/data/project_lists.csv)
    "ranking": "排名",
    "patent_type": "专利类别",
    "school_stage": "学段",
    "subject": "学科",
    "teaching_activity": "校外活动/校本课程",
    "health_institution_type": "医疗卫生机构情况",
    "health_institution_level": "医疗卫生机构级别",
    "health_institution_nature": "医疗卫生机构性质",
    "health_qualification": "卫生报评资格",
    "practice_scope": "医师执业类别及范围",
    "health_specialty": "卫生申报专业",
    "language_level": "外语能力水平",
    "support_type": "支援类别",
    "support_status": "支援状态",
    "community_service": "城乡社区服务情况",
}
#: the kinds seeded from national-standard files of their own name
STANDARD_KINDS = ("ethnicity", "political_status", "education", "degree", "degree_level", "gender",
                  "assessment_result", "admin_post_level")

#: the special pages a series may bring (manual 1.1.2 items 14–16)
SPECIAL_PAGES = {"teacher": "中小学教师信息", "health": "卫生技术信息", "accounting": "会计信息"}


class DictItem(Model):
    __tablename__ = "dict_item"
    id = Column(Integer, primary_key=True)
    kind = Column(String(40), nullable=False, index=True)
    code = Column(String(20), nullable=False)
    name = Column(String(100), nullable=False)
    #: code of the parent entry within the same kind (e.g. 研究生教育 → 博士研究生毕业)
    parent_code = Column(String(20))
    note = Column(String(200))
    sort_order = Column(Integer, nullable=False, default=0)
    active = Column(Boolean, nullable=False, default=True)

    __table_args__ = (UniqueConstraint("kind", "code", name="uq_dict_item_kind_code"),)

    def __str__(self):
        return self.name


class TitleSeries(Model):
    """专业技术系列."""

    __tablename__ = "title_series"
    id = Column(Integer, primary_key=True)
    code = Column(String(10), nullable=False, unique=True)
    name = Column(String(100), nullable=False)
    #: which special page the series brings, if any (a key of SPECIAL_PAGES)
    special_page = Column(String(20))
    sort_order = Column(Integer, nullable=False, default=0)
    active = Column(Boolean, nullable=False, default=True)

    __table_args__ = (
        CheckConstraint(
            "special_page IS NULL OR special_page IN ('teacher', 'health', 'accounting')",
            name="ck_title_series_special_page",
        ),
    )

    def __str__(self):
        return self.name


class TitleLevel(Model):
    """专业技术级别 (正高级, 副高级, 中级, 助理级, 员级 under their groups)."""

    __tablename__ = "title_level"
    id = Column(Integer, primary_key=True)
    code = Column(String(10), nullable=False, unique=True)
    name = Column(String(50), nullable=False)
    parent_id = Column(Integer, ForeignKey("title_level.id"))
    parent = relationship("TitleLevel", remote_side=[id])
    sort_order = Column(Integer, nullable=False, default=0)
    active = Column(Boolean, nullable=False, default=True)

    def __str__(self):
        return self.name


class TitleName(Model):
    """专业技术资格名称, by series and level."""

    __tablename__ = "title_name"
    id = Column(Integer, primary_key=True)
    code = Column(String(10), nullable=False, unique=True)
    name = Column(String(100), nullable=False)
    series_id = Column(Integer, ForeignKey("title_series.id"), nullable=False, index=True)
    level_id = Column(Integer, ForeignKey("title_level.id"), nullable=False, index=True)
    series = relationship(TitleSeries)
    level = relationship(TitleLevel)
    active = Column(Boolean, nullable=False, default=True)

    def __str__(self):
        return self.name
