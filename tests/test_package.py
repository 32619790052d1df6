"""nianbao installs as a package: the built wheel carries its data files and runs from outside the checkout."""

import json
import os
import shutil
import subprocess
import sys

import duckdb
import pytest

from .conftest import ROOT, SEED


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is installed by scripts/setup.sh")
    subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True
    )
    wheel = next((tmp_path / "dist").glob("nianbao-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venv / "bin" / "python"),
            "-r",
            str(ROOT / "requirements.lock"),
            str(wheel),
        ],
        check=True,
    )
    elsewhere = tmp_path / "office"
    (elsewhere / "inbox").mkdir(parents=True)
    shutil.copy(SEED, elsewhere / "inbox" / "report.txt")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NIANBAO_", "DAGSTER_", "PYTHONPATH"))}
    nianbao = str(venv / "bin" / "nianbao")
    parsed = subprocess.run(
        [nianbao, "parse", "inbox/report.txt", "--json"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert parsed.returncode == 0, parsed.stderr
    assert json.loads(parsed.stdout)["cells"]["t2_license_decisions"] == 1708
    ran = subprocess.run(
        [nianbao, "run", "--inbox", "inbox", "--warehouse", "wh/nianbao.duckdb"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr
    imported_from = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import pipelines; print(pipelines.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    assert str(venv) in imported_from  # the wheel, not the checkout
    published = elsewhere / "wh" / "published" / "nianbao.duckdb"
    con = duckdb.connect(str(published), read_only=True)
    assert con.execute(
        "SELECT permits FROM metrics_jurisdiction_year WHERE jurisdiction_code = '150623'"
    ).fetchone() == (1708,)
    assert not (ROOT / "var" / "published" / "wh").exists()
    served = subprocess.run(
        [nianbao, "dashboard", "--print-command"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60
    )
    assert served.returncode == 0, served.stderr
    app = served.stdout.split()[4]
    assert app.startswith(str(venv)) and os.path.exists(app)  # the packaged app, served with its packaged settings
    assert "--client.toolbarMode=viewer" in served.stdout and "--client.showErrorDetails=none" in served.stdout
