"""What an import did (or, with ``--dry-run``, would do): per-table counts, skipped rows with
their reasons, missing media files; and its text for the terminal."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: How many skipped rows and missing files the text lists before "... and N more".
SHOWN = 20


@dataclass
class TableReport:
    source_table: str
    read: int = 0
    imported: int = 0
    present: int = 0  # the id is already in citygraph: left as it is
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (source id, reason)


@dataclass
class ImportSummary:
    tables: dict[str, TableReport]
    dry_run: bool = False
    files_copied: int = 0
    files_present: int = 0
    missing_files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Everything, unabridged (``--report FILE``): every skipped row and missing file."""
        return asdict(self)

    @property
    def changed(self) -> bool:
        return any(report.imported for report in self.tables.values()) or bool(self.files_copied)


def _more(count: int) -> list[str]:
    return [f"  ... and {count - SHOWN} more"] if count > SHOWN else []


def format_summary(summary: ImportSummary) -> str:
    verb = "would import" if summary.dry_run else "imported"
    lines = [f"import-django{' (dry run, nothing written)' if summary.dry_run else ''}:"]
    for kind, report in summary.tables.items():
        lines.append(
            f"  {kind} (from {report.source_table}): {report.read} read, {verb} "
            f"{report.imported}, {report.present} already present, "
            f"{len(report.skipped)} skipped"
        )
    copied = "would copy" if summary.dry_run else "copied"
    lines.append(
        f"  media files: {copied} {summary.files_copied}, {summary.files_present} already "
        f"present, {len(summary.missing_files)} missing"
    )
    for kind, report in summary.tables.items():
        if report.skipped:
            lines.append(f"skipped {kind}:")
            lines.extend(f"  id {ident}: {reason}" for ident, reason in report.skipped[:SHOWN])
            lines.extend(_more(len(report.skipped)))
    if summary.missing_files:
        lines.append("missing media files (rows imported, their URLs answer 404):")
        lines.extend(f"  {key}" for key in summary.missing_files[:SHOWN])
        lines.extend(_more(len(summary.missing_files)))
    lines.append(f"done in {summary.seconds:.1f}s")
    return "\n".join(lines)
