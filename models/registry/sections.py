"""Every section of the declaration (manual 1.1.2 items 2–16, PRODUCT D1–D15),
with its fields, required flags, limits, conditions and attachments."""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Callable

from models.registry import rules
from models.registry.fields import (
    YES_NO,
    ChoiceField,
    DateField,
    DerivedField,
    Field,
    IntField,
    RefField,
    RowChoiceField,
    TextField,
    YearField,
)

NONE = (("none", "无"),)          # the 无 choice of 现/聘 专业技术系列 (D3)
NO_SERIES = ("none",)
PHYSICIAN = ("1", "2")           # 主任医师, 副主任医师 (health_qualification codes)
NURSE = ("3", "4")               # 主任护师, 副主任护师
PUBLIC_HEALTH = ("3",)           # 公共卫生机构 (health_institution_type)
SENIOR_HOSPITAL = ("3", "21")    # 三级, 二级甲等 (health_institution_level)
GRASSROOTS = ("1",)              # 一级及以下
PRIVATE = ("2",)                 # 社会办医疗机构 (health_institution_nature)
JOURNAL_NUMBER = (
    r"(?:(?:ISSN\s?[0-9]{4}-?[0-9]{3}[0-9X]|CN\s?[0-9]{2}-?[0-9]{4}/[A-Z]{1,2}|ISBN\s?[0-9][0-9-]{8,16}[0-9X])"
    r"[\s,，、;；]*)+",
    "请按刊物标注填写，如 ISSN0000-0000、CN00-0000/TN、ISBN978-7-00-000000-0",
)
PATENT_NUMBER = (r"ZL\s?[0-9]{8,12}[.．][0-9X]", "专利号格式如 ZL201110000000.0")


@dataclass(frozen=True)
class AttachmentKind:
    key: str
    label: str
    max_files: int = 1
    #: how many the completeness check asks for
    min_files: int = 0
    when: tuple | None = None
    unless: tuple | None = None
    hint: str = ""

    def applies(self, values: dict) -> bool:
        return Field.applies(self, values)  # same rule as a field's


@dataclass
class Section:
    key: str
    title: str
    fields: tuple[Field, ...]
    many: bool = False
    max_rows: int | None = None
    min_rows: int = 0
    #: attachments of the section (single) or of each row (many)
    attachments: tuple[AttachmentKind, ...] = ()
    #: the series' special page this section belongs to (D13–D15)
    special_page: str | None = None
    #: a list shown on another section's page (the 中小学教师 and 卫生技术 sub-lists)
    parent: str | None = None
    #: … only while the parent page's values meet this condition
    when: tuple | None = None
    #: checks that need several fields or rows: (values, rows, declaration) -> {field: message}
    checks: tuple[Callable, ...] = ()
    #: rule hints (B2), never blocking: (declaration, data) -> [(field or None, message)]
    hints: tuple[Callable, ...] = ()
    #: fields shown in the list of rows
    list_fields: tuple[str, ...] = ()
    note: str = ""
    #: single pages with a 删除 button that clears them (D3)
    clearable: bool = False
    model: type | None = dc_field(default=None, repr=False)

    @property
    def table(self) -> str:
        return f"sec_{self.key}"

    @property
    def stored_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not isinstance(f, DerivedField))

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def attachment(self, key: str) -> AttachmentKind | None:
        return next((a for a in self.attachments if a.key == key), None)

    def children(self) -> list["Section"]:
        return [s for s in SECTIONS if s.parent == self.key]


def text(name, label, max_length, required=False, **kw):
    return TextField(name, label, required=required, max_length=max_length, **kw)


def area(name, label, max_length, required=False, **kw):
    return TextField(name, label, required=required, max_length=max_length, multiline=True, **kw)


def choice(name, label, dictionary=None, required=False, **kw):
    return ChoiceField(name, label, required=required, dictionary=dictionary, **kw)


def yes_no(name, label, required=False, **kw):
    return ChoiceField(name, label, required=required, choices=YES_NO, **kw)


def years(name, label, required=False, **kw):
    return IntField(name, label, required=required, digits=2, **kw)


def derived(name, label):
    return DerivedField(name, label)


RANK = {"dictionary": "ranking"}

SECTIONS: tuple[Section, ...] = (
    Section("basic", "个人基本信息", (
        derived("name", "姓名"),
        derived("id_number", "身份证号/港澳台居民居住证"),
        derived("gender", "性别"),
        derived("birth_date", "出生日期"),
        choice("ethnicity", "民族", "ethnicity", True, searchable=True),
        derived("phone", "手机号"),
        choice("political_status", "政治面貌", "political_status", True),
        text("profession", "现从事专业", 50, True, help="本人现岗从事的专业技术工作"),
        RefField("unit_id", "工作单位", required=True, target="organisation",
                 help="输入单位名称的任意部分（如“百利”）查找并选择；库中没有的单位请联系工作单位向主管部门申请建立"),
        text("admin_post", "行政职务", 30),
        choice("admin_post_level", "行政职务级别", "admin_post_level", grouped=True),
        DateField("work_start_date", "参加专业技术工作日期", required=True),
        choice("series", "申报专业技术系列", "title_series", True),
        text("major", "申报资格专业", 50, True, help="按评审委员会开设的专业填写，通过评审后显示在职称证书上"),
        choice("level", "申报专业技术级别", "title_level", True),
        choice("title", "申报专业技术资格名称", "title_name", True, chain=("series", "level"),
               help="与申报专业技术系列、级别联动；没有需要的名称时请检查系列和级别"),
        text("foreign_language", "外语情况", 50, True, help="如“英语理工A合格”“俄语合格”；免试填“免试”，未参加或未合格填“无”"),
        text("computer", "计算机情况", 50, True, help="如“三个模块合格”；免试填“免试”，未参加或未合格填“无”"),
        derived("year", "申报年度"),
        derived("certificate_no", "证书编号"),
        derived("committee_received", "评委会是否接收"),
        derived("received_date", "接收日期"),
    ), attachments=(
        AttachmentKind("photo", "电子照片", 1, 1, hint="近期免冠证件照"),
        AttachmentKind("id_card", "身份证附件", 1, 1, hint="身份证正反面拍在一张图片上"),
        AttachmentKind("archive_proof", "档案机构证明", 1, 0),
    ), checks=(rules.basic_references,), hints=(rules.age_at_work_start,)),

    Section("education", "学历信息", (
        DateField("start_date", "入学时间", required=True),
        DateField("end_date", "毕业时间", required=True),
        text("school", "毕业院校", 50, True, help="与毕业证书上的学校名称一致"),
        text("major", "所学专业", 50, True, help="与毕业证书上的专业名称一致"),
        choice("education", "学历", "education", True, grouped=True),
        choice("degree", "学位", "degree", True, grouped=True, extra=(("998", "无学位"),)),
        yes_no("before_work", "是否工作前学历", True),
        text("note", "备注", 100),
    ), many=True, max_rows=2, min_rows=1,
        attachments=(AttachmentKind("certificates", "毕业证书、学位证书", 2, 1),),
        checks=(rules.end_not_before_start("start_date", "end_date", "毕业时间不能早于入学时间"),
                rules.one_row_each_before_work),
        hints=(rules.age_at_graduation,),
        list_fields=("start_date", "end_date", "school", "major", "education", "degree", "before_work"),
        note="只录入国民教育系列的学历教育。工作前学历（工作前取得的最高学历）和工作后取得的学历各只能录入一条；"
             "每条学历可上传毕业证书、学位证书共2个附件。"),

    Section("qualification", "资历信息", (
        choice("current_series", "现专业技术系列", "title_series", True, extra=NONE,
               help="申报初级职称或无职称的选“无”，以下现资格各项可不填"),
        text("current_major", "现资格专业", 50, True, unless=("current_series", NO_SERIES)),
        choice("current_level", "现专业技术级别", "title_level", True, unless=("current_series", NO_SERIES)),
        choice("current_title", "现专业技术资格名称", "title_name", True, unless=("current_series", NO_SERIES),
               chain=("current_series", "current_level")),
        DateField("current_title_date", "获取现专业技术资格时间", required=True, unless=("current_series", NO_SERIES)),
        years("years_since_title", "获取现资格后从事本专业工作年限", True, unless=("current_series", NO_SERIES)),
        choice("hired_series", "聘现专业技术系列", "title_series", True, extra=NONE,
               help="未受聘专业技术职务的选“无”，以下聘任各项可不填"),
        choice("hired_level", "聘现专业技术级别", "title_level", True, unless=("hired_series", NO_SERIES)),
        text("hired_post", "聘现专业技术职务名称", 30, True, unless=("hired_series", NO_SERIES)),
        DateField("hired_date", "聘现专业技术职务日期", required=True, unless=("hired_series", NO_SERIES)),
        years("years_in_post", "任现专业技术职务年限", True, unless=("hired_series", NO_SERIES)),
        years("years_professional", "从事专业技术工作年限", True, unless=("hired_series", NO_SERIES)),
    ), attachments=(
        AttachmentKind("title_certificate", "职称证书", 1, 1, unless=("current_series", NO_SERIES)),
        AttachmentKind("appointment", "聘任文件", 1, 1, unless=("hired_series", NO_SERIES)),
    ), checks=(rules.qualification_titles,), clearable=True,
        note="现资格各项按职称证书填写；聘任各项按聘书、岗位合同或聘任文件填写。"),

    Section("associations", "社会团体任职情况", (
        text("name", "社会团体名称", 50, True),
        text("post", "担任职务", 30, True),
        DateField("start_date", "任职时间起", required=True),
        DateField("end_date", "任职时间止"),
    ), many=True, max_rows=10,
        checks=(rules.end_not_before_start("start_date", "end_date", "任职时间止不能早于任职时间起"),),
        list_fields=("name", "post", "start_date", "end_date")),

    Section("experience", "专业技术工作经历", (
        area("before", "任现职前", 700, True),
        area("after", "任现职后", 700, True),
    ), note="分任现职前、任现职后两条，每条最多700字。应包括专业技术工作起止时间、工作单位、从事何专业技术工作、"
            "本人角色（主持、独立承担及参加的名次）、职务等信息。"),

    Section("training", "继续教育情况", (
        YearField("year", "年度", required=True),
        text("content", "学习内容", 40, True),
        IntField("hours", "课时", required=True, digits=4, minimum=1),
    ), many=True, max_rows=5, min_rows=1,
        attachments=(AttachmentKind("certificate", "继续教育证书", 1, 1),),
        checks=(rules.unique_year,), hints=(rules.training_hours, rules.training_years),
        list_fields=("year", "content", "hours"),
        note="只录入任现职后近5年的继续教育情况，每年度一条。每人每年不少于96课时，具有高级职称的不少于144课时。"),

    Section("achievements", "业绩成果", (
        area("content", "业绩成果", 1500, True),
    ), attachments=(AttachmentKind("files", "业绩成果附件", 10, 0),),
        note="任现职后取得的成果：起止时间、工作名称（项目、课题、成果等）、工作内容、角色（主持、独立承担及参加的名次）、"
             "完成情况及效果（获何奖励、级别、效益），不超过1500字。"),

    Section("papers", "论文", (
        text("title", "论文题目", 100, True),
        text("journal", "刊物名称", 50, True),
        text("number", "期刊号", 60, True, pattern=JOURNAL_NUMBER),
        DateField("published", "发表时间", required=True),
        choice("rank", "排名", required=True, **RANK),
        IntField("words", "字数", required=True, digits=7, minimum=1),
    ), many=True, max_rows=50,
        attachments=(AttachmentKind("pages", "刊物封面、目录及论文页", 10, 1),),
        list_fields=("title", "journal", "number", "published", "rank", "words")),

    Section("books", "著作", (
        text("title", "著作题目", 100, True),
        text("publisher", "出版社", 50, True),
        text("number", "书号", 60, True, pattern=JOURNAL_NUMBER),
        DateField("published", "出版时间", required=True),
        choice("rank", "排名", required=True, **RANK),
        IntField("words", "字数", required=True, digits=7, minimum=1),
    ), many=True, max_rows=50,
        attachments=(AttachmentKind("pages", "著作封面、目录及分工页", 10, 1),),
        list_fields=("title", "publisher", "number", "published", "rank", "words")),

    Section("patents", "专利", (
        text("name", "专利名称", 100, True),
        choice("category", "专利类别", "patent_type", True),
        text("number", "专利号", 30, True, pattern=PATENT_NUMBER),
        DateField("granted", "批准时间", required=True, help="专利证书上的授权公告日"),
        choice("rank", "排名", required=True, **RANK),
    ), many=True, max_rows=50, attachments=(AttachmentKind("certificate", "专利证书", 1, 1),),
        list_fields=("name", "category", "number", "granted", "rank")),

    Section("awards", "获奖", (
        text("name", "奖项名称", 100, True, help="按证书填写奖项名称及等级，如：天津市科技进步二等奖"),
        text("project", "项目名称", 100, True),
        DateField("awarded", "获奖时间", required=True),
        text("issuer", "奖项授权单位", 50, True),
        choice("rank", "排名", required=True, **RANK),
    ), many=True, max_rows=50, attachments=(AttachmentKind("certificate", "获奖证书", 1, 1),),
        list_fields=("name", "project", "awarded", "issuer", "rank")),

    Section("assessments", "考核信息", (
        YearField("year", "年度", required=True),
        choice("result", "考核结果", "assessment_result", True),
    ), many=True, max_rows=5, min_rows=1, checks=(rules.unique_year,), hints=(rules.assessment_years,),
        list_fields=("year", "result"),
        note="只录入任现职后近5年的考核情况，每年度一条；企业专业技术人员参照事业单位人员考核等级选择。"),

    # D13 中小学教师信息 (manual item 14)
    Section("teacher", "中小学教师信息", (
        choice("stage", "申报学段", "school_stage", True),
        choice("subject", "申报学科", "subject", True),
        DateField("edu_work_date", "参加教育工作时间", required=True),
        years("years_middle", "专任年限中学年限", True, help="没有填0"),
        years("years_primary", "专任年限小学年限", True, help="没有填0"),
        years("years_kindergarten", "专任年限幼教年限", True, help="没有填0"),
        years("years_since_post", "任现职务后的专任年限", True, help="没有填0"),
        years("years_head_teacher", "担任班主任年限", True, help="没有填0"),
        years("years_grade_leader", "担任年级组长年限"),
        years("years_moral", "担任专职德育干部年限"),
        area("excellent_class", "获优秀班集体级别（优秀班集体获奖情况）", 600),
        years("years_group_leader", "任教研组长（备课组长）年限"),
        years("years_district_researcher", "任区县兼职教研员年限"),
        years("years_city_researcher", "任市兼职教研员年限"),
        derived("admin_post", "行政职务"),
        DateField("promoted_date", "提干时间"),
        years("years_full_time", "专任教师年限"),
        IntField("extra_terms", "现任教师职务后兼课学期数", digits=3),
        IntField("extra_lessons", "现任教师职务后兼课课节数", digits=5),
        yes_no("teaching_extra_now", "现在是否兼课"),
        area("teaching_results", "任现职务后的主要教育教学业绩", 500),
        area("mentoring", "培养年轻教师情况", 300),
        area("research_results", "任现职务后主要教科研业绩", 300),
        area("note", "备注", 200),
    ), special_page="teacher", attachments=(AttachmentKind("title_certificate", "职称证书", 2, 0),)),
    Section("teacher_resume", "工作简历", (
        DateField("start_date", "时间起", required=True),
        DateField("end_date", "时间止"),
        text("employer", "工作单位", 30, True),
        text("content", "工作内容（任教学段、学科）", 30),
        text("post", "专业技术职务", 30),
    ), many=True, max_rows=4, min_rows=1, special_page="teacher", parent="teacher",
        checks=(rules.end_not_before_start("start_date", "end_date", "时间止不能早于时间起"),),
        list_fields=("start_date", "end_date", "employer", "content", "post")),
    Section("teacher_teaching", "任现专业技术职务后任教（兼课）情况", (
        DateField("start_date", "时间起", required=True),
        DateField("end_date", "时间止"),
        text("grade", "年级", 5, True),
        choice("stage", "学段", "school_stage"),
        choice("subject", "学科", "subject"),
        IntField("weekly_hours", "周课时量", digits=3),
        yes_no("head_teacher", "是否班主任"),
        choice("activity", "校外活动/校本课程", "teaching_activity"),
    ), many=True, max_rows=5, special_page="teacher", parent="teacher",
        checks=(rules.end_not_before_start("start_date", "end_date", "时间止不能早于时间起"),),
        list_fields=("start_date", "end_date", "grade", "stage", "subject", "weekly_hours", "head_teacher")),
    Section("teacher_research", "干部及教师教科研情况", (
        text("topic", "教科研课题名称", 30, True),
        text("department", "立项部门", 30),
        text("results", "主要成果", 30),
        text("role", "本人承担任务", 30),
        text("evaluation", "鉴定结果", 30),
    ), many=True, max_rows=4, special_page="teacher", parent="teacher",
        list_fields=("topic", "department", "results", "role", "evaluation")),

    # D14 卫生技术信息 (manual item 15)
    Section("health", "卫生技术信息", (
        choice("institution_type", "所在医疗卫生机构情况", "health_institution_type", True),
        choice("institution_level", "级别", "health_institution_level", unless=("institution_type", PUBLIC_HEALTH),
               help="公共卫生机构不填级别"),
        choice("institution_nature", "所在医疗卫生机构性质", "health_institution_nature", True),
        choice("qualification", "报评资格", "health_qualification", True),
        choice("practice_scope", "医师执业类别", "practice_scope", True, grouped=True,
               when=("qualification", PHYSICIAN), help="选择执业类别下的执业范围"),
        choice("specialty", "申报专业", "health_specialty", True, grouped=True),
        choice("language_level", "外语能力水平", "language_level", True),
        text("review_title", "综述题目", 50, True),
        DateField("review_date", "发表时间", required=True),
        text("review_journal", "发表刊物名称", 30, True),
        text("results_national", "任现职后主要成果：国家级", 30),
        text("results_provincial", "任现职后主要成果：省市（部委）级", 30),
        text("results_other", "任现职后主要成果：局级或其他", 30),
        area("further_study", "专业进修情况", 500),
        yes_no("transfer", "转岗聘任", True),
        yes_no("exceptional", "破格申报", True),
        choice("support", "支援情况", required=True, choices=("有", "无")),
        choice("support_type", "支援类别", "support_type", when=("support", ("有",))),
        choice("support_status", "支援状态", "support_status", when=("support", ("有",))),
        choice("community_service", "到城乡社区医疗卫生机构服务情况", "community_service", True,
               when=("institution_level", SENIOR_HOSPITAL)),
        RowChoiceField("effective_education", "有效学历", required=True, section="education",
                       help="在已填写的学历信息中单选一条作为有效学历"),
    ), special_page="health", attachments=(
        AttachmentKind("physician_certificate", "医师资格证书", 1, 1, when=("qualification", PHYSICIAN)),
        AttachmentKind("physician_license", "医师执业证书", 1, 1, when=("qualification", PHYSICIAN)),
        AttachmentKind("nurse_license", "护士执业资格证书", 1, 1, when=("qualification", NURSE)),
        AttachmentKind("teaching_proof", "带教、讲课证明材料", 5, 0),
        AttachmentKind("transfer_files", "转岗聘任材料", 3, 0),
        AttachmentKind("exceptional_files", "破格申报材料", 3, 0),
        AttachmentKind("support_files", "支援情况材料", 3, 0),
        AttachmentKind("grassroots_license", "基层医疗机构执业许可证副本", 1, 1, when=("institution_level", GRASSROOTS)),
        AttachmentKind("grassroots_exam", "基层卫生专业高级资格考试合格证书", 1, 1,
                       when=("institution_level", GRASSROOTS)),
        AttachmentKind("health_lectures", "开展“健康讲座”情况", 5, 1, when=("institution_level", GRASSROOTS)),
        AttachmentKind("topic_lectures", "开展“本专业专题讲座”情况", 5, 1, when=("institution_level", GRASSROOTS)),
        AttachmentKind("private_license", "社会办医疗机构执业许可证副本", 1, 1, when=("institution_nature", PRIVATE)),
        AttachmentKind("labour_contract", "劳动合同", 3, 1, when=("institution_nature", PRIVATE)),
        AttachmentKind("pension", "养老保险本年度1-9月缴纳情况证明", 3, 1, when=("institution_nature", PRIVATE)),
    ), checks=(rules.effective_education_row,),
        note="先填写信息并点击“保存”，保存成功后再上传各附件。"),
    Section("health_projects", "调研或科研项目", (
        text("title", "题目", 50, True),
        DateField("completed", "完成时间"),
    ), many=True, max_rows=10, special_page="health", parent="health", when=("institution_level", GRASSROOTS),
        list_fields=("title", "completed")),
    Section("health_papers", "任职后主要著作论文发表情况", (
        text("title", "论文题目", 50, True),
        text("journal", "刊物名称", 30, True),
        DateField("published", "发表时间", required=True),
        IntField("words", "字数", required=True, digits=6, minimum=1),
    ), many=True, max_rows=20, special_page="health", parent="health",
        list_fields=("title", "journal", "published", "words")),

    # D15 会计信息 (manual item 16)
    Section("accounting", "会计信息", (
        YearField("exam_year", "考试年度", required=True),
        text("certificate_no", "高级会计资格考试合格证书编号", 30, True, pattern=(r"[0-9]{1,30}", "证书编号只能填写数字")),
        DateField("valid_from", "会计有效期起", required=True, future_ok=True),
        DateField("valid_to", "会计有效期止", required=True, future_ok=True),
    ), special_page="accounting", attachments=(AttachmentKind("files", "会计资格证明材料", 5, 1),),
        checks=(rules.end_not_before_start("valid_from", "valid_to", "会计有效期止不能早于会计有效期起"),)),
)

BY_KEY = {s.key: s for s in SECTIONS}
assert len(BY_KEY) == len(SECTIONS), "duplicate section key"  # nosec B101 - import-time check of the registry itself
for _s in SECTIONS:
    assert _s.parent is None or _s.parent in BY_KEY, _s.key  # nosec B101 - registry self-check
    names = [f.name for f in _s.fields]
    assert len(names) == len(set(names)), f"duplicate field in {_s.key}"  # nosec B101 - registry self-check


def applicable_sections(special_page: str | None) -> list[Section]:
    """The pages (tabs) of a declaration whose saved series brings `special_page` (D16)."""
    return [s for s in SECTIONS if s.parent is None and (s.special_page is None or s.special_page == special_page)]
