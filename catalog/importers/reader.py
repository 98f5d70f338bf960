"""Line-by-line reading that turns every bad line into a reported error.

A MovieLens file is read as bytes and decoded one line at a time, so one line
in the wrong encoding costs that line only, and every error names its file and
line number.
"""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def count(self, bucket: str, what: str, n: int = 1) -> None:
        counts = getattr(self, bucket)
        counts[what] = counts.get(what, 0) + n

    def error(self, file: str, line: int, message: str) -> None:
        self.errors.append(RowError(file, line, message))

    def summary_lines(self) -> list[str]:
        kinds = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        lines = [
            f"{kind}: {self.created.get(kind, 0):,} new, {self.updated.get(kind, 0):,} updated, "
            f"{self.unchanged.get(kind, 0):,} unchanged"
            for kind in kinds
        ]
        lines.append(f"rejected rows: {len(self.errors):,}")
        return lines


def read_rows(
    path: Path,
    report: ImportReport,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    header: bool = True,
    columns: int,
    on_line: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, fields) for each well-formed line of `path`.

    Lines that do not decode or do not have `columns` fields are reported
    and skipped. `delimiter` may be several characters (ml-100k uses "|").
    """
    name = path.name
    with path.open("rb") as handle:
        for lineno, raw in enumerate(handle, start=1):
            if on_line:
                on_line(lineno)
            if header and lineno == 1:
                continue
            try:
                text = raw.decode(encoding).rstrip("\r\n")
            except UnicodeDecodeError as exc:
                report.error(name, lineno, f"not valid {encoding} text ({exc.reason} at byte {exc.start})")
                continue
            if not text.strip():
                continue
            if delimiter == "," and '"' in text:
                try:
                    fields = next(csv.reader([text], strict=True))
                except csv.Error as exc:
                    report.error(name, lineno, f"broken CSV line ({exc})")
                    continue
            else:
                fields = text.split(delimiter)
            if len(fields) != columns:
                report.error(name, lineno, f"expected {columns} fields, found {len(fields)}")
                continue
            yield lineno, fields
