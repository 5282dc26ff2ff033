"""What a question is asked about: a period plus estate, area, channel and type filters,
and the estate scope of the user asking. An empty filter means "all"."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace


class FilterError(ValueError):
    """A filter that cannot be answered (reversed period, unknown code)."""


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date  # inclusive: the period is the closed range [start, end]
    estates: frozenset[str] = field(default_factory=frozenset)
    areas: frozenset[str] = field(default_factory=frozenset)
    channels: frozenset[str] = field(default_factory=frozenset)
    request_types: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise FilterError(f"period ends ({self.end}) before it starts ({self.start})")
        for name in ("estates", "areas", "channels", "request_types"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))

    @property
    def end_exclusive(self) -> dt.date:
        """Midnight after the last day: the upper bound of created_at."""
        return self.end + dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def with_period(self, start: dt.date, end: dt.date) -> Filters:
        return replace(self, start=start, end=end)

    def previous_period(self) -> Filters:
        """The period of equal length just before this one."""
        return self.with_period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def narrowed(self, **changes) -> Filters:
        return replace(self, **{k: frozenset(v) for k, v in changes.items()})


@dataclass(frozen=True)
class Scope:
    """The estates a user may see; None means every estate. Enforced by every query."""

    estates: frozenset[str] | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls(None)

    @classmethod
    def of(cls, estates) -> Scope:
        return cls(frozenset(estates))

    def allowed_estates(self, requested: frozenset[str]) -> frozenset[str] | None:
        """The estates a query may touch: None for no restriction, else an explicit set (maybe empty)."""
        if self.estates is None:
            return requested or None
        if not requested:
            return self.estates
        return requested & self.estates


ALL = Scope.everything()
