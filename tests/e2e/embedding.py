"""What the embedding tests share: the environment of a host program that embeds the
library against the sandbox, and running a program in a fresh interpreter."""

import os
import subprocess
import sys
from pathlib import Path

from shipcrowd_woo.adapters.crypto import generate_key_text
from shipcrowd_woo.sandbox.server import SandboxServer
from tests.databases import sqlite_url

ROOT = Path(__file__).parents[2]


def host_environment(database: Path, sandbox: SandboxServer, **extra: str) -> dict[str, str]:
    """A host's environment: ours cleared, a SQLite file, keys, the sandbox as its store."""
    key, secret = sandbox.store.create_api_key()
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("SHIPCROWD_WOO_")},
        "SHIPCROWD_WOO_DATABASE_URL": sqlite_url(database),
        "SHIPCROWD_WOO_ENCRYPTION_KEYS": generate_key_text("k1"),
        "SHIPCROWD_WOO_JWT_SECRET": "a host's secret of at least thirty-two bytes",
        "SHIPCROWD_WOO_ALLOW_PRIVATE_HOSTS": "true",
        "STORE_URL": sandbox.url,
        "STORE_KEY": key,
        "STORE_SECRET": secret,
        **extra,
    }


def run_python(
    args: list[str], env: dict[str, str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`python ARGS` in a fresh interpreter, as a host would run it."""
    return subprocess.run(
        [sys.executable, *args],
        input=stdin,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
