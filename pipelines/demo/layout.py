"""The three tables as span-aware grids, shared by the HTML, DOCX, PDF and text renderers."""

from __future__ import annotations

from catalogue import load_catalogue, t3_key

Cell = tuple  # (text, rowspan, colspan)


def c(text, rowspan=1, colspan=1) -> Cell:
    return (str(text), rowspan, colspan)


def fmt(value, signed=False) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return f"+{value}" if signed and value > 0 else str(value)


def _yuan(value) -> str:
    return str(round(value * 10000)) if value is not None else ""


def _signed_apart(value, key: str) -> str:
    """本年增/减 with its sign set apart: "增 7" / "减 3" for some rows, "+ 7" / "- 3" for others."""
    if value is None or value == 0:
        return fmt(value)
    words = ("增", "减") if key in ("license", "penalty", "admin_fee") else ("+", "-")
    return f"{words[0] if value > 0 else words[1]} {abs(value)}"


def table2(cells: dict, version: str, variants=()) -> list[list[Cell]]:
    v = lambda k, signed=False: fmt(cells.get(k), signed)  # noqa: E731
    count = (lambda k, word="件": v(k) + word if v(k) else "") if "measure_words" in variants else v
    if version == "v2021":
        fee_header, fee = "本年收费金额（单位：万元）", v("t2_admin_fee_amount")
        if "amount_in_yuan" in variants:
            fee_header, fee = "本年收费金额（单位：元）", _yuan(cells.get("t2_admin_fee_amount"))
        elif "unit_in_cell" in variants and fee:
            fee += "万元"
        return [
            [c("第二十条第（一）项", 1, 4)],
            [c("信息内容"), c("本年制发件数"), c("本年废止件数"), c("现行有效件数")],
            [c("规章"), c(v("t2_regulation_issued")), c(v("t2_regulation_repealed")), c(v("t2_regulation_in_force"))],
            [
                c("行政规范性文件"),
                c(v("t2_normative_doc_issued")),
                c(v("t2_normative_doc_repealed")),
                c(v("t2_normative_doc_in_force")),
            ],
            [c("第二十条第（五）项", 1, 4)],
            [c("信息内容"), c("本年处理决定数量", 1, 3)],
            [c("行政许可"), c(count("t2_license_decisions"), 1, 3)],
            [c("第二十条第（六）项", 1, 4)],
            [c("信息内容"), c("本年处理决定数量", 1, 3)],
            [c("行政处罚"), c(count("t2_penalty_decisions"), 1, 3)],
            [c("行政强制"), c(count("t2_coercion_decisions"), 1, 3)],
            [c("第二十条第（八）项", 1, 4)],
            [c("信息内容"), c(fee_header, 1, 3)],
            [c("行政事业性收费"), c(fee, 1, 3)],
        ]
    change = (
        (lambda key: _signed_apart(cells.get(f"t2_{key}_change"), key))
        if "sign_apart" in variants
        else (lambda key: v(f"t2_{key}_change", True))
    )
    head = [c("信息内容"), c("上一年项目数量"), c("本年增/减"), c("处理决定数量")]

    def row(label: str, key: str) -> list:
        return [c(label), c(count(f"t2_{key}_prev_items", "项")), c(change(key)), c(count(f"t2_{key}_decisions"))]

    amount_header, amount = "采购总金额（单位：万元）", v("t2_procurement_amount")
    if "amount_in_yuan" in variants:
        amount_header, amount = "采购总金额（单位：元）", _yuan(cells.get("t2_procurement_amount"))
    elif "unit_in_cell" in variants:
        amount_header, amount = "采购总金额", _yuan(cells.get("t2_procurement_amount")) + "元"
    return [
        [c("第二十条第（一）项", 1, 4)],
        [c("信息内容"), c("本年新制作数量"), c("本年新公开数量"), c("对外公开总数量")],
        [
            c("规章"),
            c(v("t2_regulation_new_made")),
            c(v("t2_regulation_new_published")),
            c(v("t2_regulation_total_published")),
        ],
        [
            c("规范性文件"),
            c(v("t2_normative_doc_new_made")),
            c(v("t2_normative_doc_new_published")),
            c(v("t2_normative_doc_total_published")),
        ],
        [c("第二十条第（五）项", 1, 4)],
        head,
        row("行政许可", "license"),
        row("其他对外管理服务事项", "other_service"),
        [c("第二十条第（六）项", 1, 4)],
        head,
        row("行政处罚", "penalty"),
        row("行政强制", "coercion"),
        [c("第二十条第（八）项", 1, 4)],
        [c("信息内容"), c("上一年项目数量"), c("本年增/减", 1, 2)],
        [c("行政事业性收费"), c(count("t2_admin_fee_prev_items", "项")), c(change("admin_fee"), 1, 2)],
        [c("第二十条第（九）项", 1, 4)],
        [c("信息内容"), c("采购项目数量"), c(amount_header, 1, 2)],
        [c("政府集中采购"), c(count("t2_procurement_items", "批")), c(amount, 1, 2)],
    ]


GROUPS = [
    ("denied", "（三）不予公开"),
    ("unable", "（四）无法提供"),
    ("nohandle", "（五）不予处理"),
    ("other", "（六）其他处理"),
]


def organisation_labels() -> list[str]:
    """The five 法人或其他组织 applicant columns' headers, from the field catalogue."""
    return [column["label"] for column in load_catalogue().raw["t3"]["columns"][1:6]]


def table3(cells: dict, version: str, variants=()) -> list[list[Cell]]:
    cat = load_catalogue()
    cols = cat.t3_columns
    subtotal = "t3_org_subtotal" in variants  # a 法人或其他组织小计 column, as some schemas print (spec §4.1)

    def values(row: str) -> list[Cell]:
        numbers = [cells.get(t3_key(row, col)) for col in cols]
        if subtotal:
            organisations = numbers[1:6]
            numbers = numbers[:6] + [sum(organisations) if None not in organisations else None] + numbers[6:]
        return [c(fmt(n)) for n in numbers]

    rows_def = cat.t3_data_rows(version)
    outcome_rows = [r for r in rows_def if r.group]
    year_word = "度" if "year_word_labels" in variants else ""
    grid = [
        [
            c("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3),
            c("申请人情况", 1, 8 if subtotal else 7),
        ],
        [c("自然人", 2), c("法人或其他组织", 1, 6 if subtotal else 5), c("总计", 2)],
        [c(label) for label in organisation_labels()] + [c("小计")] * subtotal,
        [c(f"一、本年{year_word}新收政府信息公开申请数量", 1, 3)] + values("new_received"),
        [c(f"二、上年{year_word}结转政府信息公开申请数量", 1, 3)] + values("carried_over"),
    ]
    first = True
    for group_key in ("outcome", "denied", "unable", "nohandle", "other"):
        members = [r for r in outcome_rows if r.group == group_key]
        for i, r in enumerate(members):
            row: list[Cell] = []
            if first:
                row.append(c("三、本年度办理结果", len(outcome_rows) + 1))
                first = False
            title = dict(GROUPS).get(group_key)
            if group_key == "outcome" or (group_key == "other" and version == "v2019"):
                row.append(c(r.label if group_key == "outcome" else "（六）其他处理", 1, 2))
            else:
                if i == 0:
                    row.append(c(title, len(members)))
                row.append(c(r.label))
            grid.append(row + values(r.row))
    grid.append([c("（七）总计", 1, 2)] + values("total_processed"))
    grid.append([c("四、结转下年度继续办理", 1, 3)] + values("carried_forward"))
    return grid


def table4(cells: dict) -> list[list[Cell]]:
    outcomes = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    keys = load_catalogue().t4_keys()
    return [
        [c("行政复议", 1, 5), c("行政诉讼", 1, 10)],
        [c(o, 2) for o in outcomes] + [c("未经复议直接起诉", 1, 5), c("复议后起诉", 1, 5)],
        [c(o) for o in outcomes * 2],
        [c(fmt(cells.get(k))) for k in keys],
    ]


T4_PARTS = (
    ("行政复议", "review"),
    ("行政诉讼（未经复议直接起诉）", "lit_direct"),
    ("行政诉讼（复议后起诉）", "lit_after_review"),
)


def table4_parts(cells: dict) -> list[tuple[str, list[list[Cell]]]]:
    """Table 4 printed as three small tables, one per group, each with its own title."""
    outcomes = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    keys = load_catalogue().t4_keys()
    return [
        (title, [[c(o) for o in outcomes], [c(fmt(cells.get(k))) for k in keys if k.startswith(f"t4_{group}_")]])
        for title, group in T4_PARTS
    ]


def expand(grid: list[list[Cell]]) -> tuple[list[list[str]], list[tuple[int, int, int, int]]]:
    """Full matrix (covered positions empty) plus spans as (row, col, last_row, last_col)."""
    taken: dict[tuple[int, int], bool] = {}
    placed = []
    width = 0
    for r, row in enumerate(grid):
        col = 0
        for text, rs, cs in row:
            while taken.get((r, col)):
                col += 1
            for dr in range(rs):
                for dc in range(cs):
                    taken[(r + dr, col + dc)] = True
            placed.append((r, col, text, rs, cs))
            col += cs
            width = max(width, col)
    matrix = [["" for _ in range(width)] for _ in grid]
    spans = []
    for r, col, text, rs, cs in placed:
        matrix[r][col] = text
        if rs > 1 or cs > 1:
            spans.append((r, col, r + rs - 1, col + cs - 1))
    return matrix, spans
