"""The domain imports only the standard library and attrs (checked beside import-linter, which
can only forbid packages it is told about)."""

import ast
import sys
from pathlib import Path

import shipcrowd_woo.domain

DOMAIN = Path(shipcrowd_woo.domain.__file__).parent
ALLOWED = set(sys.stdlib_module_names) | {"attrs", "shipcrowd_woo"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.partition(".")[0])
    return roots


def test_the_domain_imports_only_the_standard_library_and_attrs():
    """Every import in domain/ is stdlib, attrs, or the domain itself."""
    offenders = {
        f"{path.name}: {root}"
        for path in DOMAIN.glob("*.py")
        for root in imported_roots(path) - ALLOWED
    }
    assert not offenders


def test_the_domain_imports_nothing_outside_itself_in_the_package():
    """No module of the domain reaches into ports, services, adapters or entrypoints."""
    for path in DOMAIN.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("shipcrowd_woo")
            ):
                assert node.module.startswith("shipcrowd_woo.domain"), path.name
