"""A made-up plan unlike Sơn La's: 7 indicators in 3 groups, 2 ratios, 2 budget sources, a province
level and 3 districts, two rounds. Written into a folder by `write`; the rules are the bundled ones."""

import shutil
from pathlib import Path

from pipeline.plan.loader import DEFAULT_PLAN_DIR

FILES = {
    "plan.toml": '''id = "thu-nghiem-7"
document = "Kế hoạch thử nghiệm số 1/KH-TN"
title = "Kế hoạch thử nghiệm với bảy chỉ tiêu"
short_title = "Kế hoạch thử nghiệm"
phase = "2024-2026"
province = "Tỉnh Thử"
reporting_body = "Hội Liên hiệp Phụ nữ tỉnh Thử"
total_villages = 60
budget_unit = "triệu đồng"
''',
    "groups.csv": "code,title\nA,Nhóm A\nB,Nhóm B\nC,Nhóm C\n",
    "indicators.csv": """code,no,group,kind,unit,window,name,short_name
i1,1,A,stock,tổ,2024-2025,Chỉ tiêu một,Một
i2,2,A,flow,cuộc,2024-2026,Chỉ tiêu hai,Hai
i3,3,B,stock,CLB,2025,Chỉ tiêu ba,Ba
i4,4,B,flow,lớp,2024 và 2026,Chỉ tiêu bốn,Bốn
i5,5,B,flow,người,2024-2026,Chỉ tiêu năm,Năm
i6,6,C,stock,mô hình,2024-2025,Chỉ tiêu sáu,Sáu
i7,7,C,flow,cuộc,2024-2026,Chỉ tiêu bảy,Bảy
""",
    "ratios.csv": """code,group,target_percent,name,numerator,denominator
r1,A,50,Tỷ lệ một,Tử một,Mẫu một
r2,C,90,Tỷ lệ hai,Tử hai,Mẫu hai
""",
    "budget_sources.csv": "code,name\ncentral,Ngân sách trung ương\nlocal,Ngân sách địa phương\n",
    "units.csv": """code,level,name,slug,villages,appendix_no
P,province,Cấp tỉnh,cap-tinh,,I
D1,district,Huyện Một,huyen-mot,10,1
D2,district,Huyện Hai,huyen-hai,20,2
D3,district,Huyện Ba,huyen-ba,30,3
""",
    "targets.csv": """unit,name,i1,i2,i3,i4,i5,i6,i7
P,Cấp tỉnh,10,20,30,40,50,60,70
D1,Huyện Một,1,2,3,4,5,6,7
D2,Huyện Hai,2,4,6,8,10,12,14
D3,Huyện Ba,3,6,9,12,15,18,21
""",
    "totals.csv": """row,name,i1,i2,i3,i4,i5,i6,i7
total,Tổng,16,32,48,64,80,96,112
districts,Các huyện,6,12,18,24,30,36,42
""",
    "rounds.csv": """id,year,kind,opens,district_deadline,province_deadline
2024-annual,2024,annual,2024-01-01,2024-09-10,2024-09-20
2024-update,2024,update,2024-11-01,2025-01-25,2025-02-05
""",
}


def write(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    shutil.copy(DEFAULT_PLAN_DIR / "rules.toml", folder / "rules.toml")
    return folder


# The same plan after a reform: from 1 July 2025 the three districts give way to four communes (two
# from Huyện Một), one of which has targets of its own; the 2025 rounds collect from the communes.
SUCCESSION = {
    "units.csv": """code,level,name,slug,villages,appendix_no,valid_from,valid_to,former
P,province,Cấp tỉnh,cap-tinh,,I,,,
D1,district,Huyện Một,huyen-mot,10,1,,2025-07-01,
D2,district,Huyện Hai,huyen-hai,20,2,,2025-07-01,
D3,district,Huyện Ba,huyen-ba,30,3,,2025-07-01,
X1,commune,Xã Một Đông,xa-mot-dong,,,2025-07-01,,D1
X2,commune,Xã Một Tây,xa-mot-tay,,,2025-07-01,,D1
X3,commune,Xã Hai,xa-hai,,,2025-07-01,,D2
X4,commune,Phường Ba,phuong-ba,,,2025-07-01,,D3
""",
    "targets.csv": FILES["targets.csv"] + "X1,Xã Một Đông,1,1,1,1,1,1,1\n",
    "rounds.csv": FILES["rounds.csv"] + """2025-annual,2025,annual,2025-01-01,2025-09-10,2025-09-20
2025-update,2025,update,2025-11-01,2026-01-25,2026-02-05
""",
}


def write_succession(folder: Path) -> Path:
    write(folder)
    for name, text in SUCCESSION.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


ACTIVITIES = """code,group,name,asks
campaign,A,Chiến dịch truyền thông “Tháng hành động vì bình đẳng giới”,done;events;participants
contest,C,Hội thi “Phụ nữ với pháp luật”,done;participants;note
"""


def write_with_activities(folder: Path) -> Path:
    write(folder)
    (folder / "activities.csv").write_text(ACTIVITIES, encoding="utf-8")
    return folder


def send_round(plan, paths, folder: Path, rnd, typed: dict) -> list[Path]:
    """The round's templates for its units, each filled with sample values and put in the inbox, as
    the districts would send them; `typed` gets each unit's values under (round id, unit code)."""
    from pipeline.app.queries import carried_figures
    from pipeline.app.samples import fill_template, sample_values
    from pipeline.templates.writer import write_templates

    carried = carried_figures(plan, paths.ledger, paths.home, rnd)
    templates = write_templates(plan, rnd, folder, carried=carried)
    for unit, template in zip(plan.units_for(rnd), templates, strict=True):
        values = sample_values(plan, rnd, unit, with_previous=not carried.get(unit.code))
        typed[rnd.id, unit.code] = values
        fill_template(template, paths.inbox / template.name, values)
    return templates


# An ad-hoc thematic request in the middle of 2024: two of the plan's indicators, one activity and
# questions of every kind.
ADHOC_ID = "2024-chuyen-de-bao-luc"
ADHOC = {
    "rounds.csv": """id,year,kind,opens,district_deadline,province_deadline,name,indicators,activities
2024-annual,2024,annual,2024-01-01,2024-09-10,2024-09-20,,,
2024-update,2024,update,2024-11-01,2025-01-25,2025-02-05,,,
2024-chuyen-de-bao-luc,2024,adhoc,2024-06-01,2024-06-30,2024-07-05,"Báo cáo chuyên đề phòng, chống bạo lực \
gia đình 6 tháng đầu năm 2024",i2;i5,contest
""",
    "questions.csv": """round,code,question,kind,unit,required
2024-chuyen-de-bao-luc,victims,Số nạn nhân bạo lực gia đình được hỗ trợ,count,người,có
2024-chuyen-de-bao-luc,support,Kinh phí đã hỗ trợ nạn nhân,money,triệu đồng,có
2024-chuyen-de-bao-luc,hotline,Đơn vị đã công bố số điện thoại đường dây nóng chưa?,yesno,,có
2024-chuyen-de-bao-luc,hotline_day,Ngày công bố đường dây nóng,date,,không
2024-chuyen-de-bao-luc,model,Mô hình hay trong phòng chống bạo lực gia đình,text,,không
""",
}


def write_with_adhoc(folder: Path) -> Path:
    write_with_activities(folder)
    for name, text in ADHOC.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
