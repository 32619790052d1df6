"""The main job survives any inbox, and every input ends in exactly one place with a reason."""

import io
import os
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from pipelines import inbox as inbox_module
from pipelines import progress
from pipelines.run import run_main_job
from warehouse import db, queries
from warehouse.lock import RunLock
from warehouse.paths import Paths

from .conftest import ROOT, SEED
from .test_assets import run, settings_for
from .test_bad_input import _pdf

SEED_TEXT = SEED.read_text(encoding="utf-8")


def _zip_bomb_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as member:
            zeros = b"\0" * (1 << 20)
            for _ in range(300):  # 300 MB unpacked, ~300 KB packed
                member.write(zeros)
    return buffer.getvalue()


ZERO_PAGE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def hostile_inbox(root: Path) -> Path:
    """One of every kind of input an office's inbox really holds."""
    box = root / "inbox"
    box.mkdir()
    b = os.fsencode(box)
    seed = SEED.read_bytes()
    Path(os.fsdecode(b + b"/" + "鄂托克前旗年报".encode("gbk") + b".txt")).write_bytes(seed)  # GBK name from a zip
    Path(os.fsdecode(b + b"/" + "報告".encode("big5") + b".txt")).write_bytes(seed)  # Big5 name
    Path(os.fsdecode(b + b"/broken-\xff\xfe-name.txt")).write_bytes(b"\xff\xfe not a report")  # not any charset
    os.mkfifo(box / "pipe.txt")
    (box / "link-out.txt").symlink_to("/etc/hostname")
    (box / "loop-a.txt").symlink_to(box / "loop-b.txt")
    (box / "loop-b.txt").symlink_to(box / "loop-a.txt")
    (box / "dangling.pdf").symlink_to(box / "gone.pdf")
    (box / "sub").mkdir()
    (box / "sub" / "nested-seed-copy.txt").write_bytes(seed)  # a duplicate
    (box / "link-dir").symlink_to(box / "sub")
    (box / "link-in.txt").symlink_to(box / "sub" / "nested-seed-copy.txt")
    (box / "zero.txt").write_bytes(b"")
    with open(box / "sparse-200mb.pdf", "wb") as f:
        f.truncate(200 * 2**20)
    (box / "bomb.docx").write_bytes(_zip_bomb_docx())
    (box / "locked.pdf").write_bytes(_pdf("hello", password="secret"))
    (box / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<>> garbage")
    (box / "zero-pages.pdf").write_bytes(ZERO_PAGE_PDF)
    (box / "gbk-undeclared.html").write_bytes(
        ("<html><body><pre>" + SEED_TEXT.replace("2022", "2021") + "</pre></body></html>").encode(
            "gbk", errors="replace"
        )
    )
    (box / "script.txt").write_text(
        SEED_TEXT.replace("鄂托克前旗 2022 年", "<script>alert(1)</script>鄂托克前旗 2022 年", 1), encoding="utf-8"
    )
    (box / "conflicting.txt").write_text(SEED_TEXT.replace("1708", "1709"), encoding="utf-8")  # same body, same year
    (box / ".hidden.txt").write_bytes(seed)
    (box / "truth.jsonl").write_text("{}\n", encoding="utf-8")
    return box


def every_input(box: Path) -> set[bytes]:
    """Every entry that is not a directory, found without following anything (symlinks count as inputs)."""
    found = set()
    for folder, dirs, files in os.walk(os.fsencode(box)):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            found.add(os.path.join(folder, name))
    return found


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    box = hostile_inbox(tmp)
    settings = settings_for(tmp, box)
    result = run(settings)
    return box, settings, result


def test_hostile_inbox_run_succeeds_and_accounts_for_every_input(hostile_run):
    box, settings, result = hostile_run
    assert result.success
    con = duckdb.connect(settings.warehouse_path, read_only=True)
    outcomes = con.execute("SELECT path_bytes, outcome, reason_code, reason FROM input_outcomes").fetchall()
    paths = [bytes(p) for p, *_ in outcomes]
    assert len(paths) == len(set(paths)), "an input is in more than one place"
    assert set(paths) == every_input(box)
    assert all(reason or outcome == "report" for _, outcome, _, reason in outcomes)
    assert "not_parsed_yet" not in {outcome for _, outcome, _, _ in outcomes}
    by_name = {os.path.basename(bytes(p)): (outcome, code) for p, outcome, code, _ in outcomes}
    assert by_name[b"pipe.txt"] == ("skipped", "not_regular_file")
    assert by_name[b"link-out.txt"] == ("skipped", "symlink_outside")
    assert by_name[b"loop-a.txt"] == ("skipped", "symlink_loop")
    assert by_name[b"dangling.pdf"] == ("skipped", "symlink_dangling")
    assert by_name[b"link-dir"] == ("skipped", "symlink_directory")
    assert by_name[b"sparse-200mb.pdf"] == ("skipped", "too_large")
    assert by_name[b".hidden.txt"] == ("skipped", "auxiliary")
    assert by_name[b"zero.txt"] == ("ingest_error", "empty")
    assert by_name[b"bomb.docx"] == ("ingest_error", "zip_bomb")
    assert by_name[b"locked.pdf"][0] == by_name[b"corrupt.pdf"][0] == by_name[b"zero-pages.pdf"][0] == "ingest_error"
    assert by_name[b"link-in.txt"][0] == by_name["鄂托克前旗年报".encode("gbk") + b".txt"][0] == "report"
    assert by_name[b"gbk-undeclared.html"][0] == by_name[b"script.txt"][0] == by_name[b"conflicting.txt"][0] == "report"


def test_byte_names_are_kept_and_shown(hostile_run):
    _, settings, _ = hostile_run
    con = duckdb.connect(settings.warehouse_path, read_only=True)
    names = {bytes(raw): shown for raw, shown in con.execute("SELECT path_bytes, path FROM received_files").fetchall()}
    gbk = next(raw for raw in names if raw.endswith("鄂托克前旗年报".encode("gbk") + b".txt"))
    assert names[gbk].endswith("鄂托克前旗年报.txt")  # decoded for display
    assert os.path.exists(gbk)  # the original bytes, usable as a path
    broken = next(shown for raw, shown in names.items() if b"broken-" in raw)
    assert "\\xff" in broken
    reasons = dict(con.execute("SELECT error_code, reason FROM ingest_errors").fetchall())
    assert reasons["empty"] == "文件为空" and "压缩炸弹" in reasons["zip_bomb"]  # a Chinese line, an English code


def test_conflicting_reports_both_kept_and_flagged(hostile_run):
    _, settings, result = hostile_run
    con = duckdb.connect(settings.published_path, read_only=True)
    documents = con.execute("""SELECT documents_for_year FROM metrics_jurisdiction_year
                               WHERE jurisdiction_code = '150623' AND year = 2022""").fetchone()[0]
    assert documents >= 2
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["duplicates"].passed is False


def test_parse_named_pipe_returns_at_once(tmp_path):
    fifo = tmp_path / "report.pdf"
    os.mkfifo(fifo)
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "parse", str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 2 and "named pipe" in out.stdout
    assert time.monotonic() - started < 30


def test_scan_never_opens_a_pipe(tmp_path):
    os.mkfifo(tmp_path / "a.txt")
    received, skipped = inbox_module.scan([tmp_path])
    assert not received and [s.code for s in skipped] == ["not_regular_file"]


def test_a_file_swapped_for_a_pipe_after_the_scan_is_refused(tmp_path):
    (tmp_path / "a.txt").write_bytes(SEED.read_bytes())
    received, _ = inbox_module.scan([tmp_path])
    (tmp_path / "a.txt").unlink()
    os.mkfifo(tmp_path / "a.txt")
    with pytest.raises(inbox_module.NotStored) as caught:
        inbox_module.store(received[0], tmp_path / "store")
    assert caught.value.record.code == "changed_while_reading"


def test_files_and_folders_without_read_permission_are_listed_with_the_reason(tmp_path, monkeypatch):
    """Permission is simulated (the tests run as root, whom chmod does not stop): a file the process may not read,
    a folder it may not list, and a file whose permission is taken away between the scan and the copy."""
    (tmp_path / "secret.txt").write_bytes(SEED.read_bytes())
    (tmp_path / "later.txt").write_bytes(SEED.read_bytes())
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "inside.txt").write_bytes(SEED.read_bytes())
    access, scandir = os.access, os.scandir
    monkeypatch.setattr(
        inbox_module.os, "access", lambda path, mode: not path.endswith(b"secret.txt") and access(path, mode)
    )

    def refuse_locked(folder):
        if folder.endswith(b"locked"):
            raise PermissionError(13, "Permission denied")
        return scandir(folder)

    monkeypatch.setattr(inbox_module.os, "scandir", refuse_locked)
    received, skipped = inbox_module.scan([tmp_path])
    assert [r.name for r in received] == ["later.txt"]
    assert {(os.path.basename(s.path), s.code) for s in skipped} == {
        (b"secret.txt", "unreadable"),
        (b"locked", "unreadable"),
    }
    assert all("无法读取" in s.reason for s in skipped)

    def denied(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(inbox_module, "read_safely", denied)
    with pytest.raises(inbox_module.NotStored) as caught:
        inbox_module.store(received[0], tmp_path / "store")
    assert caught.value.record.code == "unreadable" and "Permission denied" in caught.value.record.reason
    assert not (tmp_path / "store").exists()


# ---------------------------------------------------------------- publication and paths
def _small_inbox(tmp_path: Path) -> Path:
    box = tmp_path / "in"
    box.mkdir(exist_ok=True)
    (box / "seed.txt").write_bytes(SEED.read_bytes())
    return box


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NIANBAO_VAR", str(tmp_path / "var"))
    monkeypatch.delenv("NIANBAO_PUBLISHED", raising=False)
    return tmp_path


def test_publication_follows_the_warehouse(isolated, capsys):
    default_copy = Paths.resolve().published
    default_copy.parent.mkdir(parents=True)
    default_copy.write_bytes(b"what leaders are looking at")
    warehouse = isolated / "test" / "wh.duckdb"
    assert run_main_job(inbox=str(_small_inbox(isolated)), warehouse=str(warehouse), demo_count=0) == 0
    assert (isolated / "test" / "published" / "nianbao.duckdb").exists()
    assert default_copy.read_bytes() == b"what leaders are looking at"
    assert f"published {isolated / 'test' / 'published' / 'nianbao.duckdb'}" in capsys.readouterr().out


def test_failed_run_says_nothing_was_published(isolated, capsys, monkeypatch):
    from pipelines.defs import marts

    def broken(con):
        raise RuntimeError("simulated failure while building marts")

    monkeypatch.setattr(marts, "build_marts", broken)
    assert run_main_job(inbox=str(_small_inbox(isolated)), demo_count=0) == 1
    out = capsys.readouterr()
    assert "published /" not in out.out
    assert "FAILED" in out.err and "nothing was published" in out.err and "simulated failure" in out.err
    assert not Paths.resolve().published.exists()


def test_one_paths_object_for_pipeline_and_dashboard(isolated, monkeypatch):
    from pipelines import definitions

    paths = Paths.resolve()
    assert paths.var == isolated / "var"
    assert queries.published_path() == paths.published == isolated / "var" / "published" / "nianbao.duckdb"
    settings = definitions.resources_for(paths)["settings"]
    assert settings.published_path == str(queries.published_path())
    assert settings.store_dir == str(isolated / "var" / "store")
    assert str(isolated / "var" / "inbox") in settings.inbox_dirs


def test_publish_out_of_disk_keeps_last_good_copy(tmp_path, monkeypatch):
    source = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(source))
    con.execute("CREATE TABLE metrics_jurisdiction_year AS SELECT 1 AS x")
    con.close()
    target = tmp_path / "published" / "nianbao.duckdb"
    db.publish(source, target)
    good = target.read_bytes()

    def full_disk(src, dst, **_):
        Path(dst).write_bytes(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(db.shutil, "copy2", full_disk)
    with pytest.raises(OSError):
        db.publish(source, target)
    assert target.read_bytes() == good
    assert [p.name for p in target.parent.iterdir()] == ["nianbao.duckdb"]  # no half copy left behind


# ---------------------------------------------------------------- the dashboard's connections
def _open_duckdb_files(folder: Path) -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)) and ".duckdb" in target:
            count += 1
    return count


def test_fifty_publishes_leave_at_most_two_open_warehouse_files(tmp_path):
    source = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(source))
    con.execute("CREATE TABLE metrics_jurisdiction_year AS SELECT 1 AS x")
    con.close()
    target = tmp_path / "published" / "nianbao.duckdb"
    connections = queries.PublishedConnections(keep=2)
    for _ in range(50):
        db.publish(source, target)
        assert connections.get(target).execute("SELECT x FROM metrics_jurisdiction_year").fetchone() == (1,)
    assert _open_duckdb_files(target.parent) <= 2
    connections.close()
    assert _open_duckdb_files(target.parent) == 0


# ---------------------------------------------------------------- concurrency
def test_second_run_refuses_while_another_holds_the_warehouse(isolated, capsys):
    warehouse = Paths.resolve().warehouse
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from warehouse.lock import RunLock; RunLock(sys.argv[1]).acquire(); "
                "print('held', flush=True); time.sleep(60)"
            ),
            str(warehouse) + ".lock",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert run_main_job(inbox=str(_small_inbox(isolated)), demo_count=0, wait_seconds=0.5) == 1
        err = capsys.readouterr().err
        assert "another nianbao run" in err and f"pid {holder.pid}" in err and "nothing was published" in err
        assert not Paths.resolve().published.exists()
    finally:
        holder.kill()
        holder.wait()
    assert run_main_job(inbox=str(_small_inbox(isolated)), demo_count=0) == 0  # the kernel freed the lock


def test_lock_waits_for_the_holder(tmp_path):
    first = RunLock(tmp_path / "wh.duckdb.lock").acquire()
    threading.Timer(0.5, first.release).start()
    started = time.monotonic()
    RunLock(tmp_path / "wh.duckdb.lock").acquire(wait_seconds=10).release()
    assert 0.3 < time.monotonic() - started < 5


def test_dashboard_keeps_answering_during_a_refresh(isolated):
    box = _small_inbox(isolated)
    assert run_main_job(inbox=str(box), demo_count=0) == 0
    from pipelines.demo.generate import generate

    generate(box, seed=5, count=30)
    connections = queries.PublishedConnections()
    errors, answered, done = [], [0], threading.Event()

    def keep_querying():
        while not done.is_set():
            try:
                con = connections.get()
                assert con is not None
                queries.years(con)
                answered[0] += 1
            except Exception as exc:
                errors.append(repr(exc))

    reader = threading.Thread(target=keep_querying)
    reader.start()
    try:
        assert run_main_job(inbox=str(box), demo_count=0) == 0
    finally:
        done.set()
        reader.join()
    assert errors == [] and answered[0] > 10
    connections.close()


# ---------------------------------------------------------------- progress and terminal output
def test_progress_bar_counts_and_eta():
    stream = io.StringIO()
    bar = progress.TerminalBar(stream)
    for done in range(0, 101, 5):
        bar("解析报告 parsing", done, 100)
    lines = stream.getvalue().splitlines()
    assert 5 <= len(lines) <= 12  # not a terminal: about one line per tenth
    assert "100/100" in lines[-1] and "100%" in lines[-1]
    assert any("剩余约" in line for line in lines)


def test_cli_run_is_quiet_unless_verbose(tmp_path):
    env = {**os.environ, "NIANBAO_VAR": str(tmp_path / "var"), "DAGSTER_HOME": str(tmp_path / "home")}
    env.pop("NIANBAO_PUBLISHED", None)
    box = _small_inbox(tmp_path)
    quiet = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(box)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert quiet.returncode == 0, quiet.stderr
    assert "STEP_START" not in quiet.stderr + quiet.stdout and "DEBUG" not in quiet.stderr
    assert "1 files received, 1 new documents, 0 re-parsed, 0 could not be read" in quiet.stdout
    loud = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "-v", "--inbox", str(box)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loud.returncode == 0 and "STEP_START" in loud.stderr
    assert "0 new documents" in loud.stdout
