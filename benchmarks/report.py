"""Write the README's figures table from benchmarks/results/*.json (between the FIGURES markers)."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def load(name: str) -> dict:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def rows() -> list[tuple[str, str, str, str]]:
    p, r, d, pipe, dash, copy, acc = (
        load(n) for n in ("parser", "resolver", "demo", "pipeline", "dashboard", "copy_detection", "accuracy")
    )
    fetch, scale = load("fetch"), load("scale")
    out = []
    if acc:
        t = acc["total"]
        formats = ", ".join(f"{f} {100 * a['exact'] / a['cells']:.1f}%" for f, a in sorted(acc["per_format"].items()))
        out += [
            (
                f"Labelled cells exact, {t['files']} real dev reports ({formats})",
                "≥ 99%",
                f"{100 * acc['exact_share']:.2f}% ({t['exact']}/{t['cells']})",
                "bench_accuracy.py",
            ),
            (
                "Silently wrong cells (wrong, claimed certain, report not flagged)",
                "0",
                f"{t['silent']}",
                "bench_accuracy.py",
            ),
        ]
        if acc.get("generated_by_variant"):
            fmt_of = lambda stats: ", ".join(f"{k} {v['exact']}/{v['documents']}" for k, v in stats.items())  # noqa: E731
            out += [
                (
                    "Generated documents read back exactly (values, no cell in doubt), by format",
                    "all",
                    fmt_of(acc["generated_by_format"]),
                    "bench_accuracy.py",
                ),
                ("… by printing variant", "all", fmt_of(acc["generated_by_variant"]), "bench_accuracy.py"),
                (
                    "Unlabelled real crawls (wild/) parsed without a crash",
                    "all",
                    f"{sum(v for k, v in acc['wild_statuses'].items() if not k.startswith('crash'))} / {acc['wild_files']} "
                    f"({', '.join(f'{v} {k}' for k, v in sorted(acc['wild_statuses'].items()))})",
                    "bench_accuracy.py",
                ),
            ]
    if p:
        out += [
            (
                "Text/HTML reports parsed per second, one core",
                "≥ 200",
                f"{p['text_html_reports_per_second']}",
                "bench_parser.py",
            ),
            (
                "Parse time ÷ (read + one regex for all numbers), same files, same run",
                "withdrawn",
                f"{p['parse_to_read_and_regex_ratio']}×",
                "bench_parser.py",
            ),
            *[
                (
                    f"PDF parse ÷ PDFium's own character extraction, same {k['documents']} {label} PDFs ({k['pages']} pages)",
                    "≤ 3×",
                    f"{k['ratio_to_pdfium_characters']}× ({k['parse_ms_per_page']} vs {k['pdfium_characters_ms_per_page']} ms/page)",
                    "bench_parser.py",
                )
                for label, k in (("real", p.get("pdf_real")), ("generated", p.get("pdf_generated")))
                if k
            ],
            ("Peak memory parsing a 100-page PDF", "≤ 150 MB", f"{p['long_pdf_peak_rss_mb']} MB", "bench_parser.py"),
        ]
    real = load("real_corpus")
    if real:
        out += [
            (
                f"Real report files (seed + corpus dev/holdout/wild, {real['files']}) resolved to a division, shipped settings",
                "≥ 95%",
                f"{100 * real['resolved_share']:.1f}% ({real['resolved_with_year']} of {real['reports_with_year']}; "
                f"{', '.join(real['provinces'])})",
                "bench_real_corpus.py",
            ),
            (
                "Mart rows per reporting body × year of those reports",
                "exactly 1",
                f"{real['mart_rows']} rows for {real['bodies_x_years']} body-years, {real['mart_rows_repeated']} repeated",
                "bench_real_corpus.py",
            ),
        ]
    if r:
        out.append(
            (
                "Resolving 10,000 issuer strings",
                "< 1 s",
                f"{r['seconds']} s ({r['resolved']} resolved)",
                "bench_resolver.py",
            )
        )
    if d:
        out += [
            ("Generating 5,000 demo documents (all formats)", "≤ 3 min", f"{d['generate_seconds']} s", "bench_demo.py"),
            (
                "Generated documents parsed back to their truth exactly",
                "≥ 500",
                f"{d['roundtrip_exact']} / {d['roundtrip_documents']}",
                "bench_demo.py",
            ),
        ]
    if pipe:
        out += [
            (
                f"Main job on {pipe['documents'] - 1:,} mixed-format documents (default: one worker process per core)",
                "≤ 90 s",
                f"{pipe['full_run_seconds']} s",
                "bench_pipeline.py",
            ),
            (
                "Run with one new document, wall time incl. start-up",
                "≤ 20 s",
                f"{pipe['one_new_document_seconds']} s",
                "bench_pipeline.py",
            ),
            ("Peak memory of the main job", "≤ 2 GB", f"{pipe['full_run_peak_rss_mb']:.0f} MB", "bench_pipeline.py"),
            ("Published warehouse size", "≤ 200 MB", f"{pipe['published_mb']} MB", "bench_pipeline.py"),
            (
                "Planted anomalies found by the checks",
                "all",
                f"{pipe['planted_found']} / {pipe['planted_anomalies']}",
                "bench_pipeline.py",
            ),
            (
                "Clean generated reports flagged",
                "≤ 2%",
                f"{100 * pipe['clean_flagged_share']:.2f}% ({pipe['clean_reports_flagged']} of {pipe['clean_reports']})",
                "bench_pipeline.py",
            ),
        ]
    if dash:
        worst_query = max(dash["worst_query_ms_per_page"].values())
        worst_page = max(dash["page_ready_seconds"].values())
        out += [
            (
                "Slowest dashboard query, any page, on the 5,000-document warehouse",
                "≤ 200 ms",
                f"{worst_query} ms",
                "bench_dashboard.py",
            ),
            (
                "Slowest page ready in headless Chromium (new tab, median of three)",
                "≤ 2.5 s",
                f"{worst_page} s"
                + (
                    f" (a page with only one chart: {dash['one_chart_page_ready_seconds']} s)"
                    if "one_chart_page_ready_seconds" in dash
                    else ""
                ),
                "bench_dashboard.py",
            ),
        ]
    if scale:
        one, two = scale["one_worker"], scale["two_workers"]
        pairs = (
            f"median of {scale['pairs']} alternating pairs, each pair "
            + ", ".join(f"{ratio}×" for ratio in scale["speedup_per_pair"])
            + "; "
            if "pairs" in scale
            else ""
        )
        memory = (
            f"; each parse worker at most {two['parse_step_peak_rss_mb']['max']:.0f} MB, median "
            f"{two['parse_step_peak_rss_mb']['median']:.0f} MB"
            if two.get("parse_step_peak_rss_mb")
            else ""
        )
        out.append(
            (
                f"Main job on {scale['documents']:,} generated documents: 1 worker → 2 workers (multiprocess executor)",
                "≥ 1.7×",
                f"{scale['speedup']}× ({pairs}{one['seconds']} s → {two['seconds']} s; "
                f"largest process {two['peak_rss_mb_largest_process']} MB{memory})",
                "bench_scale.py",
            )
        )
    if fetch:
        out += [
            (
                f"Fetching {fetch['pages']} documents (reports and their PDFs; TRS-style pages, pdf.js links) on loopback, no delay",
                "—",
                f"{fetch['no_delay_pages_per_second']} pages/s",
                "bench_fetch.py",
            ),
            (
                "… at the default politeness (1 request/s per host)",
                "≤ 1/s",
                f"{fetch['polite_pages_per_second']} pages/s",
                "bench_fetch.py",
            ),
            (
                "Second fetch of the same column: documents downloaded again",
                "0",
                f"{fetch['second_fetch_new']} ({fetch['second_fetch_unchanged']} unchanged, {fetch['second_fetch_seconds']} s)",
                "bench_fetch.py",
            ),
            *(
                [
                    (
                        f"{fetch['slow_hosts']} slow hosts fetched side by side ÷ one of them alone",
                        "≈ 1×",
                        f"{fetch['slow_hosts_side_by_side_seconds'] / fetch['one_slow_host_seconds']:.2f}× "
                        f"({fetch['slow_hosts_side_by_side_seconds']} s vs {fetch['one_slow_host_seconds']} s)",
                        "bench_fetch.py",
                    )
                ]
                if "slow_hosts" in fetch
                else []
            ),
        ]
    province = load("province")
    if province:
        big, small = province["province"], province["bundled"]
        one, two = big["workers_1"], big["workers_2"]
        ready = province["pages_on_province"]
        slowest = max(ready["page_ready_seconds"], key=ready["page_ready_seconds"].get)

        def verdict(ratio: float, limit: float) -> str:
            return "" if ratio <= limit else " — not met"

        peak = province["workers_1_ratios"]["peak_memory"], province["workers_2_ratios"]["peak_memory"]
        new_doc = province["workers_1_ratios"]["one_new_document"], province["workers_2_ratios"]["one_new_document"]
        out += [
            (
                f"A province at full coverage ({big['documents']:,} reports: every unit's government, 20 department "
                f"types, 3 苏木/镇, 7 years): main job, 1 → 2 workers",
                "—",
                f"{one['main_job_seconds']} s → {two['main_job_seconds']} s",
                "bench_province.py",
            ),
            (
                f"Peak memory of the largest process, {big['documents']:,} ÷ {small['documents']:,} reports",
                "≤ 1.3×",
                f"1 worker {peak[0]}× ({one['peak_rss_mb']} vs {small['workers_1']['peak_rss_mb']} MB), "
                f"2 workers {peak[1]}× ({two['peak_rss_mb']} vs {small['workers_2']['peak_rss_mb']} MB)"
                + verdict(max(peak), 1.3),
                "bench_province.py",
            ),
            (
                f"One new document on {big['documents']:,} ÷ on {small['documents']:,} reports (wall time of the run)",
                "≤ 1.5×",
                f"1 worker {new_doc[0]}× ({one['one_new_document_seconds']} vs "
                f"{small['workers_1']['one_new_document_seconds']} s), 2 workers {new_doc[1]}× "
                f"({two['one_new_document_seconds']} vs {small['workers_2']['one_new_document_seconds']} s)"
                + verdict(max(new_doc), 1.5),
                "bench_province.py",
            ),
            (
                "Publication (whole-file copy of the warehouse) at province scale",
                "—",
                f"{two['publication_copy_seconds']} s for {two['warehouse_mb']} MB",
                "bench_province.py",
            ),
            (
                "Slowest page on the province ÷ a one-chart page, same run",
                "≤ 1.3×",
                f"{province['slowest_page_vs_one_chart_page']}× ({slowest} {ready['page_ready_seconds'][slowest]} vs "
                f"{ready['one_chart_page_ready_seconds']} s)"
                + verdict(province["slowest_page_vs_one_chart_page"], 1.3),
                "bench_province.py",
            ),
            (
                "Briefing PDF of the largest 盟/市 on the province, built on demand",
                "≤ 5 s",
                f"{ready['briefing']['pdf_seconds']} s",
                "bench_province.py",
            ),
        ]
    if copy:
        out.append(
            (
                f"Copy detection (内容雷同) over {copy['reports']:,} reports",
                "≤ 2 min",
                f"{copy['seconds']} s, {copy['planted_found']}/{copy['planted']} planted copies found",
                "bench_copy.py",
            )
        )
    out += _ocr_rows(load("ocr"))
    return out


def _ocr_rows(ocr: dict) -> list[tuple[str, str, str, str]]:
    """Scans read by OCR: cells right and silently wrong per set, speed, and the engines side by side."""
    if not ocr:
        return []
    ours = ocr["engines"]["rapidocr"]
    out = []
    for name, got in ours["sets"].items():
        out.append(
            (
                f"OCR: cells right, {name} ({got['documents']} scans, {got['cells']} cells)",
                "≥ 95%, 0 silently wrong",
                f"{100 * got['right_share']:.2f}%, {got['silently_wrong']} silently wrong "
                f"({got['uncertain']} marked 待核, {got['partial_or_error']} of {got['documents']} reports partial)",
                "bench_ocr.py",
            )
        )
    out.append(("OCR: seconds per page (RapidOCR, 2 cores)", "≤ 3 s", f"{ours['seconds_per_page']} s", "bench_ocr.py"))
    other = ocr["engines"].get("tesseract")
    if other:
        shares = ", ".join(f"{name} {100 * got['right_share']:.1f}%" for name, got in other["sets"].items())
        silent = sum(got["silently_wrong"] for got in other["sets"].values())
        out.append(
            (
                "OCR engine compared: tesseract 5 chi_sim on the same pages",
                "—",
                f"{shares}; {silent} silently wrong; {other['seconds_per_page']} s a page",
                "bench_ocr.py",
            )
        )
    return out


def table() -> str:
    lines = ["| figure | target | measured | script |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | `benchmarks/{s}` |" for a, b, c, s in rows()]
    parser = load("parser")
    if parser.get("by_kind"):
        lines += [
            "",
            "The parse ratio by kind of file (best of three interleaved passes each). *Output floor*: building only "
            "the result's cells, statuses, provenance and checks from values already known. *Stages*: each stage "
            "of the parse timed alone, in baselines of the same files:",
            "",
            "| files | count | KB each | baseline ms each | parse ms each | ratio | output floor | stages |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {kind.replace('_', ' ')} | {k['files']} | {k['kb_per_file']} | {k['baseline_ms_per_file']} | "
            f"{k['parse_ms_per_file']} | {k['ratio']}× | {k['output_floor_ratio']}× | "
            + ", ".join(
                f"{stage.replace('of_which_', 'of which ').replace('_', ' ')} {x}"
                for stage, x in k.get("stages_in_baselines", {}).items()
            )
            + " |"
            for kind, k in parser["by_kind"].items()
        ]
    if parser.get("stage_seconds"):
        lines.append("")
        lines.append(
            f"Where text/HTML parse time goes (CPU seconds over the {parser['text_html_files']} files; the regex "
            f"baseline takes {parser['regex_baseline_seconds']} s): "
            + ", ".join(
                f"{stage.replace('of_which_', 'of which ').replace('_', ' ')} {seconds}"
                for stage, seconds in parser["stage_seconds"].items()
            )
            + "."
        )
    states = [
        (n, load(n))
        for n in (
            "accuracy",
            "parser",
            "resolver",
            "demo",
            "pipeline",
            "dashboard",
            "copy_detection",
            "ocr",
            "province",
        )
    ]
    states = [
        f"{n} {r['measured_at'][11:]}: {r['loop_5m_cpu_seconds']} s" for n, r in states if "loop_5m_cpu_seconds" in r
    ]
    if states:
        lines.append("")
        lines.append(
            "Machine state when each was taken (CPU seconds of a fixed 5M-step Python loop at the start and the end of each script; lower is faster): "
            + "; ".join(states)
            + "."
        )
    return "\n".join(lines)


def update_readme() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    block = "<!-- FIGURES:START -->\n" + table() + "\n<!-- FIGURES:END -->"
    text = re.sub(r"<!-- FIGURES:START -->.*?<!-- FIGURES:END -->", lambda _: block, text, flags=re.S)
    readme.write_text(text, encoding="utf-8")
    print(table())


if __name__ == "__main__":
    update_readme()
