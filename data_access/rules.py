"""The service rules figures are measured against: first-reply target, SLA table, overdue rule."""
from __future__ import annotations

from dataclasses import dataclass

from .schema import REQUEST_TYPES
from .settings import DEFAULT_SLA_HOURS, Settings


@dataclass(frozen=True)
class ServiceRules:
    first_response_target_minutes: float = 15.0
    # ((request_type, urgent_hours, normal_hours), ...): a tuple so rules stay hashable for caching.
    sla_hours: tuple[tuple[str, float, float], ...] = tuple(
        (t, float(DEFAULT_SLA_HOURS[t]["urgent"]), float(DEFAULT_SLA_HOURS[t]["normal"])) for t in REQUEST_TYPES
    )
    complaint_overdue_days: int = 30

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceRules:
        return cls(
            first_response_target_minutes=float(settings.first_response_target_minutes),
            sla_hours=tuple(
                (t, float(settings.sla_hours[t]["urgent"]), float(settings.sla_hours[t]["normal"])) for t in REQUEST_TYPES
            ),
            complaint_overdue_days=settings.complaint_overdue_days,
        )

    def sla_for(self, request_type: str, priority: str) -> float | None:
        for t, urgent, normal in self.sla_hours:
            if t == request_type:
                return urgent if priority == "urgent" else normal
        return None
