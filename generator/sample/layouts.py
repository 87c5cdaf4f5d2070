"""Real layouts in the demo drop: rows reshaped the way other systems export them.

  xzcf/行政处罚-2016平台.csv     the 2016 platform layout: 行政相对人代码_3(工商登记码),
                                 代码_5(居民身份证号), 处罚类别1/2, no 行政相对人类别, no department
                                 codes, no 数据来源单位; 年月日 dates; department abbreviations
  xzxk/行政许可-审批系统.csv      an approval system's export: 证件号码/统一社会信用代码 in one
                                 column, 有效期限 as “A至B”, 办理主体 by abbreviation, headers
                                 with a trailing full-width colon

The generator derives what these layouts lack (generator/derive.py, the 部门目录 in site.yml).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from . import words as W
from .codes import LONG_TERM, PLACEHOLDER

CF_2016_COLUMNS = [
    "行政处罚决定书文号",
    "处罚名称",
    "处罚类别1",
    "处罚类别2",
    "处罚事由",
    "处罚依据",
    "行政相对人名称",
    "行政相对人代码_1(统一社会信用代码)",
    "行政相对人代码_2(组织机构代码)",
    "行政相对人代码_3(工商登记码)",
    "行政相对人代码_4(税务登记号)",
    "行政相对人代码_5(居民身份证号)",
    "法定代表人姓名",
    "处罚结果",
    "处罚决定日期",
    "处罚机关",
    "当前状态",
    "地方编码",
    "备注",
    "数据更新时间戳",
]
XK_APPROVAL_COLUMNS = [
    "相对人名称：",
    "相对人类型：",
    "相对人证件类型：",
    "证件号码/统一社会信用代码：",
    "事项名称：",
    "行政许可决定书文号：",
    "许可证号：",
    "许可内容：",
    "办理主体：",
    "决定日期：",
    "有效期限：",
    "当前状态：",
]
# How staff abbreviate their department in older systems (all in site.yml's directory).
ABBREVIATIONS = {
    "示例市市场监督管理局": "市市场监管局",
    "示例市生态环境局": "示例市环境保护局",
    "示例市应急管理局": "市应急局",
    "示例市住房和城乡建设局": "市住建局",
    "示例市卫生健康委员会": "市卫健委",
    "示例市交通运输局": "市交通局",
}


def _cn(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _dept(rand: random.Random, name: str) -> str:
    """Half of the rows name the department as staff abbreviate it."""
    return ABBREVIATIONS.get(name, name) if rand.random() < 0.5 else name


def platform_2016(rows: Iterator[list], cf: dict[str, int], rand: random.Random) -> Iterator[list]:
    """Reshape standard 行政处罚 rows (see penalties.XZCF_COLUMNS) into the 2016 layout."""
    for row in rows:
        kinds = [k for k in str(row[cf["处罚类别"]]).split(";") if k]
        dec = row[cf["处罚决定日期"]]
        yield [
            row[cf["行政处罚决定书文号"]],
            row[cf["违法行为类型"]],
            kinds[0] if kinds else "",
            "、".join(kinds[1:]),
            row[cf["违法事实"]],
            row[cf["处罚依据"]],
            row[cf["行政相对人名称"]],
            row[cf["行政相对人代码_1(统一社会信用代码)"]],
            "",
            row[cf["行政相对人代码_2(工商注册号)"]],
            "",
            row[cf["证件号码"]],
            row[cf["法定代表人"]],
            row[cf["处罚内容"]],
            _cn(dec) if isinstance(dec, dt.date) else dec,
            _dept(rand, row[cf["处罚机关"]]),
            "正常",
            W.CITY_REGION,
            row[cf["备注"]],
            f"{dec:%Y-%m-%d} 18:00:00" if isinstance(dec, dt.date) else "",
        ]


def approval_system(
    rows: Iterator[list], xk: dict[str, int], rand: random.Random
) -> Iterator[list]:
    """Reshape standard 行政许可 rows (see licences.XZXK_CODES) into an approval export."""
    for row in rows:
        person = bool(row[xk["XK_XDR_ZJHM"]])
        code = row[xk["XK_XDR_ZJHM"]] if person else row[xk["XK_XDR_SHXYM"]]
        id_type = (row[xk["XK_XDR_ZJLX"]] or "身份证") if person else "统一社会信用代码"
        if code == PLACEHOLDER:
            code, id_type = row[xk["XK_XDR_GSZC"]], "营业执照"
        start, until = row[xk["XK_YXQZ"]], row[xk["XK_YXQZI"]]
        sep = "至" if rand.random() < 0.7 else "-"
        period = f"{start:%Y-%m-%d}{sep}{'长期' if until == LONG_TERM else f'{until:%Y-%m-%d}'}"
        dec = row[xk["XK_JDRQ"]]
        yield [
            row[xk["XK_XDR_MC"]],
            row[xk["XK_XDR_LB"]],
            id_type,
            code,
            row[xk["XK_XKWS"]],
            row[xk["XK_WSH"]],
            row[xk["XK_XKBH"]],
            row[xk["XK_NR"]],
            _dept(rand, row[xk["XK_XKJG"]]),
            f"{dec:%Y/%m/%d}",
            period,
            row[xk["XK_ZT"]],
        ]
