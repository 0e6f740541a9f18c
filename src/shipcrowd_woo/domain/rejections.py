"""Why an incoming payload could not become a Shipcrowd order."""

import attrs


@attrs.frozen
class Problem:
    """One thing wrong with a payload, at a JSON path such as `line_items[2].total`."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@attrs.frozen
class Rejection:
    """A payload refused, with every problem found in it (never just the first)."""

    problems: tuple[Problem, ...]
    source_id: int | None = None

    def __attrs_post_init__(self) -> None:
        if not self.problems:
            raise ValueError("a rejection needs at least one problem")

    @property
    def summary(self) -> str:
        """All problems on one line, for logs and sync-log errors."""
        prefix = f"order {self.source_id}: " if self.source_id is not None else ""
        return prefix + "; ".join(str(problem) for problem in self.problems)
