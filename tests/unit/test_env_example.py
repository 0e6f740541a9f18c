"""The .env example is valid configuration and names every setting the README documents."""

import re
from pathlib import Path

from shipcrowd_woo.entrypoints.settings import Settings

ROOT = Path(__file__).parents[2]


def _example() -> dict[str, str]:
    found = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.fullmatch(r"#? ?(SHIPCROWD_WOO_[A-Z_]+)=(.*)", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_the_example_settings_are_accepted():
    active = {
        name: value
        for name, value in _example().items()
        if value and name not in ("SHIPCROWD_WOO_JWT_PUBLIC_KEY",)
    }
    Settings.from_env(active)


def test_every_variable_the_code_reads_is_in_the_example_and_the_readme():
    source = "\n".join(
        path.read_text() for path in (ROOT / "src/shipcrowd_woo/entrypoints").rglob("*.py")
    )
    read = set(re.findall(r'"(SHIPCROWD_WOO_[A-Z_]+)"', source))
    read |= {f"SHIPCROWD_WOO_{name}" for name in re.findall(r'env, "([A-Z_]+)"', source)}
    read |= {f"SHIPCROWD_WOO_{name}" for name in re.findall(r"PREFIX}([A-Z_]+)", source)}
    read.discard("SHIPCROWD_WOO_")
    readme = (ROOT / "README.md").read_text()
    assert read - set(_example()) == set()
    assert {name for name in read if f"`{name}`" not in readme} == set()
