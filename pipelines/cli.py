"""`nianbao` command line: parse, eval, resolve, run, demo."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _cmd_parse(args) -> int:
    from pipelines.report.parse import parse_file

    result = parse_file(args.file, args.province)
    if not args.with_text:
        result.pop("text", None)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=None if args.compact else 2))
    else:
        print(_summary(result))
    return 0 if result.get("status") == "ok" else 2


def _summary(result: dict) -> str:
    if result.get("status") == "error":
        return f"error: {result['error']}"
    from catalogue import load_catalogue

    cat = load_catalogue()
    j = result["jurisdiction"]
    lines = [
        f"{result['file']}: {result['issuer'] or '?'} · {result['year'] or '?'}年 · {result['format']}",
        f"  jurisdiction: {j.get('name') or j['status']} ({j.get('code') or '-'}) · kind {result['issuer_kind']} · scope {result['scope']}",
        "  templates: " + ", ".join(f"{t}={v or '—'}" for t, v in result["template"].items()),
    ]
    for key in (
        "t2_license_decisions",
        "t2_penalty_decisions",
        "t2_coercion_decisions",
        "t3_new_received__total",
        "t3_nohandle_repeat__total",
        "t3_total_processed__total",
        "t4_review_total",
    ):
        if key in result["cells"]:
            lines.append(f"  {cat.label(key)}: {result['cells'][key]} [{result['cell_status'][key]}]")
    checks = result["checks"]
    failed = [c for c in checks if c["status"] == "fail"]
    lines.append(f"  checks: {sum(c['status'] == 'pass' for c in checks)} pass, {len(failed)} fail")
    lines += [f"    ✗ {c['code']}: {c['detail']}" for c in failed[:12]]
    statuses = {}
    for s in result["cell_status"].values():
        statuses[s] = statuses.get(s, 0) + 1
    lines.append("  cells: " + ", ".join(f"{v} {k}" for k, v in sorted(statuses.items())))
    if result.get("error"):
        lines.append(f"  warning: {result['error']}")
    return "\n".join(lines)


def _cmd_eval(args) -> int:
    from pipelines.report.evaluate import evaluate, format_report

    report = evaluate(args.labels)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(format_report(report))
        if args.verbose:
            for f in report["files"]:
                print(
                    f"{f['id']}: {f['exact']}/{f['cells']} template_ok={f['template_ok']} year_ok={f['year_ok']} {f['error'] or ''}"
                )
                for w in f["wrong"]:
                    print("   ", w)
    return 0 if report["total"]["silent"] == 0 else 1


def _cmd_resolve(args) -> int:
    from pipelines.report.resolver import resolve

    r = resolve(args.text, args.province, args.year)
    if args.json:
        print(json.dumps(r.as_dict(), ensure_ascii=False))
    elif r.status == "resolved":
        print(
            f"{r.name} ({r.code}) · {r.parent_name} · {r.province} · kind {r.issuer_kind}"
            + (f" · {r.department}" if r.department else "")
            + (f" · {r.township}" if r.township else "")
        )
    else:
        print(f"{r.status}: {r.reason}")
        for c in r.candidates:
            print(f"  {c['code']} {c['name']} ({c['parent_name']}, {c['province']})")
    return 0 if r.status == "resolved" else 2


def _cmd_run(args) -> int:
    from pipelines.run import run_main_job

    return run_main_job(
        inbox=args.inbox,
        warehouse=args.warehouse,
        demo_count=args.demo,
        published=args.published,
        verbose=args.verbose,
        wait_seconds=args.wait,
        workers=args.workers,
    )


def _cmd_fetch(args) -> int:
    from pipelines.fetch import fetch_all, load_sources
    from warehouse.paths import Paths

    paths = Paths.resolve()
    registry = args.sources or paths.sources
    if registry is None:
        print("error: no source registry (give --sources FILE, or put one at var/sources.yaml)", file=sys.stderr)
        return 2
    sources = load_sources(registry)
    inbox = args.inbox or paths.fetched_inbox
    report = fetch_all(sources, inbox, delay=args.delay, timeout=args.timeout)
    print(
        f"{len(sources)} sources, {report.pages} list pages read: {report.new_documents} new documents, "
        f"{report.revised} changed since the last fetch, {report.unchanged} unchanged, {len(report.errors)} errors, "
        f"{len(report.refused)} links refused (another kind of annual report) "
        f"→ {inbox}"
    )
    for error in report.errors:
        print(f"  ✗ {error}", file=sys.stderr)
    return 0 if not report.errors or report.new_documents + report.unchanged + report.revised else 1


def _cmd_check(args) -> int:
    from pipelines.precheck import check_draft
    from warehouse.paths import Paths

    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    published = args.published or str(Paths.resolve().published)
    report = check_draft(data, args.name or args.file, args.province, published)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    elif report["status"] == "error":
        print(f"不能检查：{report['error']}")
    else:
        for finding in report["findings"]:
            print(f"[{finding['severity']}] {finding['label']}：{finding['detail']}\n    如何修改：{finding['fix']}")
        print(f"{len(report['findings'])} 个问题")
    return 0


def _cmd_briefing(args) -> int:
    from dashboard import briefing
    from warehouse import queries

    published = args.published or str(queries.published_path())
    con = queries.open_published(published)
    if con is None:
        print(f"error: no published warehouse at {published}: run `nianbao run` first", file=sys.stderr)
        return 2
    try:
        parent = queries.frame(con, "SELECT province_code FROM jurisdictions WHERE code = ?", [args.parent])
        if parent.is_empty():
            print(f"error: {args.parent} is not a division code", file=sys.stderr)
            return 2
        year = args.year or max(queries.years(con))
        out = briefing.write(
            con,
            parent["province_code"][0],
            args.parent,
            year,
            args.format,
            args.out or f"briefing-{args.parent}-{year}.{args.format}",
        )
    finally:
        con.close()
    print(out)
    return 0


def dashboard_command(port: int, address: str | None = None) -> list[str]:
    """`streamlit run` on the packaged app with the packaged settings (viewer toolbar, no tracebacks), wherever
    nianbao is installed: Streamlit itself only reads `.streamlit/config.toml` of the current folder."""
    import importlib.util
    import tomllib
    from pathlib import Path

    spec = importlib.util.find_spec("dashboard")
    if spec is None or spec.origin is None:
        raise SystemExit("error: the dashboard package is not installed")
    folder = Path(spec.origin).parent
    settings = tomllib.loads((folder / "streamlit_config.toml").read_text(encoding="utf-8"))
    options = [
        f"--{section}.{key}={str(value).lower() if isinstance(value, bool) else value}"
        for section, values in settings.items()
        for key, value in values.items()
    ]
    served = [f"--server.port={port}", "--server.headless=true"] + ([f"--server.address={address}"] if address else [])
    return [sys.executable, "-m", "streamlit", "run", str(folder / "app.py"), *options, *served]


def _cmd_dashboard(args) -> int:
    command = dashboard_command(args.port, args.address)
    if args.print_command:
        print(" ".join(command))
        return 0
    os.execv(command[0], command)  # the server is this process: stopping it stops the dashboard


def _cmd_demo(args) -> int:
    from pipelines.demo.generate import generate

    stats = generate(args.out, seed=args.seed, count=args.count, formats=args.formats.split(","))
    print(json.dumps(stats, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nianbao", description="政府信息公开工作年度报告 reader and warehouse")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="parse one report")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.add_argument("--compact", action="store_true")
    p.add_argument("--with-text", action="store_true", help="include the document text in --json")
    p.add_argument("--province")
    p.set_defaults(func=_cmd_parse)
    e = sub.add_parser("eval", help="score the parser against a labels.jsonl")
    e.add_argument("labels")
    e.add_argument("--json", action="store_true")
    e.add_argument("-v", "--verbose", action="store_true")
    e.set_defaults(func=_cmd_eval)
    r = sub.add_parser("resolve", help="resolve issuer text to a division")
    r.add_argument("text")
    r.add_argument("--province")
    r.add_argument("--year", type=int)
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=_cmd_resolve)
    c = sub.add_parser("check", help="发布前体检: check a draft report (nothing is stored)")
    c.add_argument("file", help="the draft (DOCX, WPS, DOC, PDF, OFD, TXT, HTML), or - for standard input")
    c.add_argument("--name", help="the file's name when read from standard input (its type)")
    c.add_argument("--province")
    c.add_argument("--published", help="the warehouse to check copying against (default: the published copy)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_cmd_check)
    b = sub.add_parser("briefing", help="write the 盟/市 briefing (情况通报) as PDF or Word")
    b.add_argument("--parent", required=True, help="division code of the 盟/市, e.g. 150600")
    b.add_argument("--year", type=int, help="report year (default: the latest)")
    b.add_argument("--format", choices=["pdf", "docx"], default="pdf")
    b.add_argument("--out", help="file to write (default: briefing-CODE-YEAR.pdf)")
    b.add_argument("--published", help="the published warehouse (default: the one the dashboard reads)")
    b.set_defaults(func=_cmd_briefing)
    d = sub.add_parser("dashboard", help="serve the dashboard on the published warehouse")
    d.add_argument("--port", type=int, default=8501)
    d.add_argument("--address", default=None, help="listen address (default: all interfaces)")
    d.add_argument("--print-command", action="store_true", help="print the streamlit command instead of running it")
    d.set_defaults(func=_cmd_dashboard)
    run = sub.add_parser("run", help="materialize every asset in-process and publish the warehouse")
    run.add_argument("--inbox", default=None)
    run.add_argument("--warehouse", default=None)
    run.add_argument(
        "--published",
        default=None,
        help="where to publish the dashboard's copy (default: published/nianbao.duckdb beside the warehouse)",
    )
    run.add_argument(
        "--wait",
        type=float,
        default=None,
        help="seconds to wait for another run to finish before refusing (default 900)",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes for Dagster's multiprocess executor (default: the cores when 1000+ documents "
        "wait to be parsed, else 1 = in-process)",
    )
    run.add_argument("-v", "--verbose", action="store_true", help="show Dagster's event lines on the terminal")
    run.add_argument(
        "--demo", type=int, default=None, help="generated demo documents to include (default from seeds/demo.yaml)"
    )
    run.set_defaults(func=_cmd_run)
    f = sub.add_parser("fetch", help="download reports from the registered 年报 columns into the inbox")
    f.add_argument("--sources", default=None, help="source registry (default: var/sources.yaml or the bundled one)")
    f.add_argument("--inbox", default=None, help="where to write (default: var/inbox/fetched, read by every run)")
    f.add_argument("--delay", type=float, default=1.0, help="seconds between two requests to one host (politeness)")
    f.add_argument("--timeout", type=float, default=15.0, help="seconds before a request is given up")
    f.set_defaults(func=_cmd_fetch)
    d = sub.add_parser("demo", help="generate synthetic demo reports")
    d.add_argument("action", choices=["generate"])
    d.add_argument("--out", required=True)
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--count", type=int, default=200)
    d.add_argument("--formats", default="html,txt,docx,pdf")
    d.set_defaults(func=_cmd_demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
