"""The outcome of a data-quality gate, and the exception that blocks publish."""

from __future__ import annotations

from dataclasses import dataclass, field

# Enough failures to point at the problem without flooding a task log line.
FAILURES_IN_MESSAGE = 3


class DataQualityError(RuntimeError):
    """A gate found data that must not be published."""


@dataclass(frozen=True)
class ValidationReport:
    success: bool
    evaluated: int
    failed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.success:
            return f"all {self.evaluated} expectations passed"
        lines = [f"{len(self.failed)} of {self.evaluated} expectations failed:"]
        lines += [f"  - {failure}" for failure in self.failed]
        return "\n".join(lines)

    def with_failures(self, failures: list[str]) -> ValidationReport:
        """This report plus checks evaluated outside Great Expectations, each one failed."""
        return ValidationReport(
            success=self.success and not failures,
            evaluated=self.evaluated + len(failures),
            failed=failures + self.failed,
        )


def raise_for_failures(report: ValidationReport) -> None:
    """Raise ``DataQualityError`` with a one-line reason when the report did not pass."""
    if report.success:
        return
    shown = "; ".join(report.failed[:FAILURES_IN_MESSAGE])
    more = len(report.failed) - FAILURES_IN_MESSAGE
    suffix = f" (+{more} more)" if more > 0 else ""
    raise DataQualityError(
        f"{len(report.failed)} of {report.evaluated} expectations failed: {shown}{suffix}"
    )
