"""One validated settings object: environment variables (ESTATE_*) and an optional TOML file."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from .schema import PRIORITIES, REQUEST_TYPES

DEFAULT_SLA_HOURS: dict[str, dict[str, float]] = {
    "repair": {"urgent": 4, "normal": 48},
    "complaint": {"urgent": 24, "normal": 72},
    "inquiry": {"urgent": 4, "normal": 24},
    "suggestion": {"urgent": 72, "normal": 168},
    "praise": {"urgent": 72, "normal": 168},
}


def default_data_dir() -> Path:
    return Path.home() / ".estate-dashboard"


ROLES = ("director", "analyst", "estate_manager")


class UserAccount(BaseModel):
    """One person who may sign in. Directors and analysts see every estate; an estate manager
    sees the listed estates; owners' personal data only with `personal_data`."""

    username: str = Field(min_length=1, max_length=100)
    password_hash: str = Field(min_length=20, description="from `estate-dashboard hash-password`")
    role: str = "analyst"
    estates: list[str] = Field(default_factory=list)
    personal_data: bool = False
    display_name: str | None = None

    @field_validator("role")
    @classmethod
    def _known_role(cls, role: str) -> str:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        return role


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ESTATE_", extra="ignore")

    db_url: str | None = Field(default=None, description="SQLAlchemy URL of the ticket database")
    mapping_file: Path | None = Field(default=None, description="TOML mapping that adapts a source database's own tables")
    data_dir: Path = Field(default_factory=default_data_dir)
    timezone: str = "Asia/Shanghai"
    first_response_target_minutes: float = Field(default=15, gt=0)
    sla_hours: dict[str, dict[str, float]] = Field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_SLA_HOURS.items()})
    statement_timeout_seconds: float = Field(default=30, gt=0)
    # Overdue complaints: the rule that turns a complaint major (METRICS.md).
    complaint_overdue_days: int = 30

    # Targets that colour the tiles green/amber/red; amber within `amber_margin_pct` points.
    target_first_response_pct: float = Field(default=90, ge=0, le=100)
    target_within_sla_pct: float = Field(default=90, ge=0, le=100)
    target_csat_pct: float = Field(default=85, ge=0, le=100)
    target_follow_up_coverage_pct: float = Field(default=80, ge=0, le=100)
    ceiling_escalation_rate_pct: float = Field(default=5, ge=0, le=100)
    amber_margin_pct: float = Field(default=5, ge=0, le=100)
    # Estates with fewer tickets in the period are not ranked (too few to judge).
    attention_min_tickets: int = Field(default=30, ge=1)

    # Serving: cache (Redis when configured, else in-process), a pinned "today" for demos and tests.
    redis_url: str | None = None
    cache_seconds: int = Field(default=300, ge=0)
    today: dt.date | None = None
    secret_key: str | None = None

    # Access: sign-in is on as soon as users are configured (off for the embedded demo).
    users: list[UserAccount] = Field(default_factory=list)
    session_cookie_secure: bool = False  # set true behind HTTPS
    session_hours: float = Field(default=12, gt=0)
    audit_log: Path | None = None  # default: <data_dir>/audit.log

    @field_validator("sla_hours")
    @classmethod
    def _complete_sla_table(cls, table: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        merged = {k: dict(v) for k, v in DEFAULT_SLA_HOURS.items()}
        for request_type, by_priority in table.items():
            if request_type not in REQUEST_TYPES:
                raise ValueError(f"unknown request type in SLA table: {request_type}")
            for priority, hours in by_priority.items():
                if priority not in PRIORITIES:
                    raise ValueError(f"unknown priority in SLA table: {priority}")
                if hours <= 0:
                    raise ValueError(f"SLA hours must be positive: {request_type}/{priority}")
                merged[request_type][priority] = float(hours)
        return merged

    @property
    def sign_in_required(self) -> bool:
        return bool(self.users)

    @property
    def audit_log_path(self) -> Path:
        return self.audit_log or self.data_dir / "audit.log"

    @property
    def embedded_db_path(self) -> Path:
        return self.data_dir / "demo.sqlite"

    @property
    def embedded_db_url(self) -> str:
        return f"sqlite:///{self.embedded_db_path}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        import os

        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("ESTATE_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)
