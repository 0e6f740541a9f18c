"""Every ```python block of the README runs as written (issue 30): each saved as a script and
run in a fresh interpreter against the sandbox, on a SQLite file never migrated and on one
migrated already; and a host project's `mypy --strict` passes over each."""

import re
import shutil

import pytest

from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.e2e.embedding import ROOT, host_environment, run_python

BLOCKS = re.findall(r"^```python\n(.*?)^```$", (ROOT / "README.md").read_text(), re.M | re.S)


def test_the_readme_has_python_blocks():
    assert BLOCKS, "no ```python block found: the extraction below would test nothing"


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(SandboxStore(seed=30, products=6, orders=40)) as server:
        yield server


@pytest.mark.parametrize("database", ["never migrated", "migrated"])
@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_a_readme_block_runs_as_a_script(
    number, database, sandbox, tmp_path, migrated_sqlite_template
):
    path = tmp_path / "shop.sqlite3"
    if database == "migrated":
        shutil.copy(migrated_sqlite_template, path)
    script = tmp_path / f"readme_{number}.py"
    script.write_text(BLOCKS[number])
    done = run_python([str(script)], host_environment(path, sandbox), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_the_readme_blocks_pass_a_hosts_mypy_strict(tmp_path):
    for number, block in enumerate(BLOCKS):
        (tmp_path / f"readme_{number}.py").write_text(block)
    done = run_python(
        [
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            *(f"readme_{number}.py" for number in range(len(BLOCKS))),
        ],
        {"PATH": "/usr/bin:/bin"},
        tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
