"""Quality audit on the seed and on dev reports: the known problems are found, with evidence, and nothing else."""

from pipelines.report.parse import parse_file
from pipelines.report.quality import carry_checks, copy_checks, report_checks

from .conftest import SEED, shared_or_skip


def failures(result) -> dict:
    return {c["code"]: c["detail"] for c in report_checks(result) if c["status"] == "fail"}


def test_seed_problems_reported_with_evidence_and_nothing_else():
    result = parse_file(SEED)
    found = failures(result)
    assert set(found) == {"QC_CONTRADICTION", "QC_SECTION_COUNT"}
    assert "未收到和处理政府信息公开申请" in found["QC_CONTRADICTION"]
    assert "七项内容" in found["QC_SECTION_COUNT"]
    text_table = [c for c in report_checks(result) if c["code"] == "QC_TEXT_TABLE"]
    assert text_table and text_table[0]["status"] == "pass" and "6 件" in text_table[0]["detail"]


def test_narrative_count_mismatch_found():
    shared = shared_or_skip()
    found = failures(parse_file(shared / "corpus" / "dev" / "js-huaian-hongze-2024.pdf"))
    assert "QC_TEXT_TABLE" in found and "17" in found["QC_TEXT_TABLE"]


def test_late_publication():
    shared = shared_or_skip()
    result = parse_file(shared / "corpus" / "dev" / "fj-putian-kjj-2022.txt")
    result["published_at"] = "2023-03-02"  # departments publish by 31 January
    assert "QC_LATE" in failures(result)


def _report(sha, issuer, code, year, narrative):
    return {
        "sha256": sha,
        "issuer": issuer,
        "jurisdiction_code": code,
        "year": year,
        "narrative": narrative,
        "body": f"{code}|government|",
    }


def test_copying_found_and_boilerplate_ignored():
    boilerplate = "严格落实信息发布三审制度，加强公开前保密审查，全年未发生泄密事件。"
    own = [
        f"{y}年，本单位在第{y % 7}批次中公开了第{y * 3}号目录下的{y * 7 % 500}条信息，编号{y}-{y % 13}。"
        for y in range(60)
    ]
    reports = [_report(f"r{i}", f"单位{i}", f"{i:06d}", 2022, own[i] + boilerplate + own[i + 30]) for i in range(30)]
    reports.append(_report("copy", "单位X", "999999", 2022, own[3] + own[33] + boilerplate))
    reports.append(_report("prev", "单位0", "000000", 2023, own[0] + own[30]))
    found = {sha: f for sha, f in copy_checks(reports)}
    assert found["copy"]["code"] == "QC_COPY_PEER" and "单位3" in found["copy"]["detail"]
    assert found["prev"]["code"] == "QC_COPY_PREV"
    assert set(found) <= {"copy", "prev", "r3", "r0"}


def test_carry_over_break():
    rows = [
        {"sha256": "a", "body": "1|government|", "year": 2021, "carried_over": 0, "carried_forward": 3, "numbers": "1"},
        {"sha256": "b", "body": "1|government|", "year": 2022, "carried_over": 1, "carried_forward": 0, "numbers": "2"},
        {"sha256": "c", "body": "1|government|", "year": 2023, "carried_over": 0, "carried_forward": 0, "numbers": "2"},
    ]
    codes = {(sha, f["code"]) for sha, f in carry_checks(rows)}
    assert codes == {("b", "QC_CARRY"), ("c", "QC_SAME_NUMBERS")}
