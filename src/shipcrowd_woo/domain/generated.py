"""Functions generated once per class from Python text, as attrs generates its methods: for
per-class code on hot paths (the fingerprint's renderer, the rows of a table). The text is
built from field names and objects bound by name in its scope, never from input."""

from typing import Any


def bound(scope: dict[str, Any], value: object) -> str:
    """A new name in `scope` for `value`, for the generated text to call or read."""
    name = f"_{len(scope)}"
    scope[name] = value
    return name


def compiled(source: str, label: str, scope: dict[str, Any]) -> Any:
    """The one function `source` defines, compiled in `scope`; `label` names it in tracebacks."""
    exec(compile(source, f"<{label}>", "exec"), scope)  # noqa: S102 - see the module's docstring
    return scope[source.removeprefix("def ").split("(", 1)[0]]
