"""Mapping files: how a group's own exports and ticket-system tables become the canonical tables.

A mapping is a TOML file (commented example: examples/mapping.example.toml) validated with
pydantic. It says, for spreadsheet IMPORTS, which column headers hold which canonical field
(工单号, 受理时间, "Unique Key"...), fixed values, and how to create estates from a column;
for a source DATABASE, which table or SQL query stands for each canonical table and how its
columns are named; and for both, how raw values map onto the canonical codes (报修 ->
repair, 保安 -> security, "NYPD" -> security), what happens to a value no map knows (a
default code, null, or rejection), the timestamp formats and the source time zone.

Without a mapping file the built-in one applies: canonical column names, the usual Chinese
headers and the usual Chinese and English values.
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import schema
from .schema import PRIORITIES, REQUEST_TYPES, SERVICE_AREAS, SEVERITIES, STATUSES, SURVEY_CHANNELS, TICKET_CHANNELS

REJECT = "reject"
NULL = "null"
KINDS = ("estates", "tickets", "surveys")


class MappingError(ValueError):
    """The mapping file is unusable; the message is one line naming the place and the problem."""


# --- the canonical fields an import fills -------------------------------------------------
@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str  # id | text | code | timestamp | level | count | score
    required: bool = False
    values: str | None = None  # the [values] table that maps raw values (coded fields)
    codes: tuple = ()


_T = "timestamp"
TICKET_FIELDS = (
    FieldSpec("ticket_id", "id", True),
    FieldSpec("estate_id", "id", True, values="estate_id"),
    FieldSpec("created_at", _T, True),
    FieldSpec("channel", "code", values="channel", codes=TICKET_CHANNELS),
    FieldSpec("request_type", "code", True, values="request_type", codes=REQUEST_TYPES),
    FieldSpec("service_area", "code", True, values="service_area", codes=SERVICE_AREAS),
    FieldSpec("priority", "code", values="priority", codes=PRIORITIES),
    FieldSpec("severity", "code", values="severity", codes=SEVERITIES),
    FieldSpec("status", "code", values="status", codes=STATUSES),
    FieldSpec("first_response_at", _T),
    FieldSpec("resolved_at", _T),
    FieldSpec("closed_at", _T),
    FieldSpec("escalation_level", "level", values="escalation", codes=(0, 1, 2, 3)),
    FieldSpec("escalated_at", _T),
    FieldSpec("reopened_count", "count"),
    FieldSpec("owner_name", "text"),
    FieldSpec("owner_phone", "text"),
    FieldSpec("room", "text"),
    FieldSpec("summary", "text"),
)
SURVEY_FIELDS = (
    FieldSpec("survey_id", "id", True),
    FieldSpec("ticket_id", "id"),
    FieldSpec("estate_id", "id", values="estate_id"),  # required, but may come from the ticket
    FieldSpec("service_area", "code", values="service_area", codes=SERVICE_AREAS),
    FieldSpec("surveyed_at", _T, True),
    FieldSpec("channel", "code", values="survey_channel", codes=SURVEY_CHANNELS),
    FieldSpec("score", "score", values="score"),
    FieldSpec("attitude", "score", values="score"),
    FieldSpec("speed", "score", values="score"),
    FieldSpec("result", "score", values="score"),
    FieldSpec("professionalism", "score", values="score"),
    FieldSpec("comment", "text"),
)
ESTATE_FIELDS = (
    FieldSpec("estate_id", "id", True),
    FieldSpec("name", "text", True),
    FieldSpec("city", "text"),
    FieldSpec("region", "text"),
    FieldSpec("households", "count"),
)
FIELDS: dict[str, tuple[FieldSpec, ...]] = {"tickets": TICKET_FIELDS, "surveys": SURVEY_FIELDS, "estates": ESTATE_FIELDS}
FIELD_BY_NAME = {kind: {f.name: f for f in fields} for kind, fields in FIELDS.items()}

# Value tables and the codes their targets must be.
VALUE_TABLES: dict[str, tuple] = {
    "request_type": REQUEST_TYPES,
    "service_area": SERVICE_AREAS,
    "channel": TICKET_CHANNELS,
    "survey_channel": SURVEY_CHANNELS,
    "status": STATUSES,
    "priority": PRIORITIES,
    "severity": SEVERITIES,
    "escalation": (0, 1, 2, 3),
    "score": (1, 2, 3, 4, 5),
    "estate_id": (),  # any estate id: renames raw estate values
}

# --- built-in headers and values ---------------------------------------------------------
DEFAULT_HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "tickets": {
        "ticket_id": ("工单号", "工单编号", "单号", "ticket id", "ticket no"),
        "estate_id": ("项目", "项目编号", "小区", "项目名称", "estate", "estate id"),
        "created_at": ("受理时间", "创建时间", "报事时间", "报修时间", "created", "created at"),
        "channel": ("渠道", "受理渠道", "来源渠道"),
        "request_type": ("工单类型", "报事类型", "类型", "request type"),
        "service_area": ("服务类别", "专业", "服务类型", "service area"),
        "priority": ("优先级", "紧急程度"),
        "severity": ("投诉等级", "严重程度"),
        "status": ("状态", "工单状态"),
        "first_response_at": ("首次响应时间", "响应时间", "首次回复时间", "first response at"),
        "resolved_at": ("解决时间", "完成时间", "resolved at"),
        "closed_at": ("关闭时间", "结案时间", "closed at"),
        "escalation_level": ("升级级别", "升级等级", "escalation level"),
        "escalated_at": ("升级时间", "escalated at"),
        "reopened_count": ("重开次数", "reopened count"),
        "owner_name": ("业主姓名", "业主", "客户姓名", "owner name"),
        "owner_phone": ("联系电话", "手机号", "owner phone"),
        "room": ("房号", "房间号", "房屋"),
        "summary": ("内容", "报事内容", "工单内容", "描述"),
    },
    "surveys": {
        "survey_id": ("问卷编号", "回访编号", "调查编号", "survey id"),
        "ticket_id": ("工单号", "工单编号", "ticket id"),
        "estate_id": ("项目", "项目编号", "小区", "estate", "estate id"),
        "service_area": ("服务类别", "专业", "service area"),
        "surveyed_at": ("回访时间", "调查时间", "surveyed at"),
        "channel": ("回访方式", "调查方式", "渠道"),
        "score": ("满意度", "评分", "总体评分", "总体满意度"),
        "attitude": ("服务态度",),
        "speed": ("响应速度", "及时性"),
        "result": ("处理结果", "处理效果"),
        "professionalism": ("专业水平", "专业程度"),
        "comment": ("意见", "评价", "备注", "业主意见"),
    },
    "estates": {
        "estate_id": ("项目编号", "项目代码", "小区编号", "estate id"),
        "name": ("项目名称", "项目", "小区名称", "小区", "estate name"),
        "city": ("城市", "所在城市"),
        "region": ("区域", "大区", "片区"),
        "households": ("户数", "总户数", "入住户数"),
    },
}

DEFAULT_VALUES: dict[str, dict[str, str | int]] = {
    "request_type": {
        "报修": "repair", "维修": "repair", "报事报修": "repair", "投诉": "complaint", "咨询": "inquiry",
        "询问": "inquiry", "建议": "suggestion", "表扬": "praise", "赞扬": "praise", "repair request": "repair",
        "enquiry": "inquiry", "question": "inquiry", "compliment": "praise",
    },
    "service_area": {
        "安保": "security", "保安": "security", "秩序": "security", "秩序维护": "security", "保洁": "cleaning",
        "清洁": "cleaning", "环境": "cleaning", "绿化": "greening", "园林": "greening", "工程维修": "repair",
        "维修": "repair", "工程": "repair", "其他": "other", "其它": "other", "landscaping": "greening",
        "maintenance": "repair", "engineering": "repair",
    },
    "channel": {
        "电话": "phone", "热线": "phone", "前台": "front_desk", "来访": "front_desk", "上门": "front_desk",
        "app": "app", "微信": "app", "小程序": "app", "线上": "app", "信箱": "mailbox", "意见箱": "mailbox",
        "巡查": "patrol", "巡检": "patrol", "邮件": "email", "电子邮件": "email", "其他": "other", "其它": "other",
        "walk in": "front_desk", "wechat": "app", "online": "app", "mobile": "app", "e-mail": "email",
    },
    "survey_channel": {
        "电话": "phone", "短信": "sms", "上门": "visit", "走访": "visit", "入户": "visit", "线上": "app",
        "微信": "app", "问卷": "app", "text": "sms", "door visit": "visit", "online": "app",
    },
    "status": {
        "待处理": "open", "未处理": "open", "新建": "open", "待派单": "open", "已受理": "open", "处理中": "in_progress",
        "已派单": "in_progress", "跟进中": "in_progress", "已解决": "resolved", "已完成": "resolved", "待回访": "resolved",
        "已关闭": "closed", "已回访": "closed", "已结案": "closed", "关闭": "closed", "已取消": "cancelled",
        "取消": "cancelled", "作废": "cancelled", "canceled": "cancelled", "pending": "open", "new": "open",
        "assigned": "in_progress", "done": "resolved",
    },
    "priority": {"紧急": "urgent", "加急": "urgent", "特急": "urgent", "一般": "normal", "普通": "normal", "正常": "normal",
                 "high": "urgent", "low": "normal", "medium": "normal"},
    "severity": {"一般": "minor", "轻微": "minor", "重要": "important", "重大": "major", "严重": "major", "serious": "major"},
    "escalation": {
        "无": 0, "未升级": 0, "否": 0, "主管": 1, "客服主管": 1, "管理处主任": 2, "物业经理": 2, "项目经理": 2,
        "公司领导": 3, "集团": 3, "公司": 3, "none": 0, "supervisor": 1, "director": 2, "office director": 2,
        "leadership": 3, "company leadership": 3,
    },
    "score": {"非常满意": 5, "满意": 4, "基本满意": 3, "一般": 3, "不满意": 2, "非常不满意": 1},
}


@lru_cache(maxsize=65_536)  # exports repeat the same few values in every row
def normalise(text: str) -> str:
    """How headers and raw values are compared: NFKC, case-folded, spaces, '_' and '-' runs as one space."""
    text = unicodedata.normalize("NFKC", text).replace("\ufeff", "")
    return re.sub(r"[\s_\-]+", " ", text.strip().casefold()).strip()


# --- the file's model --------------------------------------------------------------------
def _as_column_list(value: Any) -> Any:
    if isinstance(value, str):
        return {"columns": [value]}
    if isinstance(value, list):
        return {"columns": value}
    return value


class ColumnSource(BaseModel):
    """Where a field comes from: one or more headers (the first non-empty, or for coded fields the
    first whose value a map knows; free text joins them), optionally only for some statuses."""

    model_config = ConfigDict(extra="forbid")
    columns: list[str] = Field(min_length=1)
    when_status: list[str] | None = None  # keep the value only for tickets whose canonical status is one of these

    @field_validator("when_status")
    @classmethod
    def _known_statuses(cls, statuses):
        if statuses is not None:
            unknown = [s for s in statuses if s not in STATUSES]
            if unknown:
                raise ValueError(f"unknown status {unknown[0]!r}; statuses are {', '.join(STATUSES)}")
        return statuses


ColumnSpec = Annotated[ColumnSource, BeforeValidator(_as_column_list)]


class KindImport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    columns: dict[str, ColumnSpec] = Field(default_factory=dict)
    constants: dict[str, str | int] = Field(default_factory=dict)
    builtin_headers: bool = True  # also recognise the built-in headers for fields not listed in `columns`


class NewEstates(BaseModel):
    """Estates created from the estate column of tickets (a source without an estates list)."""

    model_config = ConfigDict(extra="forbid")
    create: bool = False
    households: int = Field(default=0, ge=0)
    city: str | None = None
    region: str | None = None


class ImportSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tickets: KindImport = Field(default_factory=KindImport)
    surveys: KindImport = Field(default_factory=KindImport)
    estates: KindImport = Field(default_factory=KindImport)
    new_estates: NewEstates = Field(default_factory=NewEstates)


class Timestamps(BaseModel):
    model_config = ConfigDict(extra="forbid")
    formats: list[str] = Field(default_factory=list)  # strptime formats tried in order, then ISO 8601 (none: the built-in ones)
    timezone: str | None = None  # the source's wall clock; None = already the group's time zone

    @field_validator("formats")
    @classmethod
    def _formats_have_fields(cls, formats):
        for fmt in formats:
            if "%" not in fmt:
                raise ValueError(f"{fmt!r} is not a strptime format (e.g. \"%m/%d/%Y %I:%M:%S %p\")")
        return formats

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone):
        if zone is not None:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {zone!r} (use an IANA name such as Asia/Shanghai)") from None
        return zone


class DatabaseTable(BaseModel):
    """One canonical table read from a source database: a table (or view) or a SELECT."""

    model_config = ConfigDict(extra="forbid")
    table: str | None = None
    query: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)  # canonical column -> source column

    @model_validator(mode="after")
    def _one_source(self):
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of `table` or `query`")
        if self.query is not None and not re.match(r"^\s*(select|with)\b", self.query, re.IGNORECASE):
            raise ValueError("`query` must be one SELECT statement")
        if self.table is not None and self.table.split(".")[-1].lower() in schema.CANONICAL_TABLES:
            raise ValueError("a source table with a canonical name needs no mapping (or rename it in a view)")
        return self


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    version: Literal[1] = 1
    description: str = ""
    timestamps: Timestamps = Field(default_factory=Timestamps)
    imports: ImportSection = Field(default_factory=ImportSection, alias="import")
    values: dict[str, dict[str, str | int]] = Field(default_factory=dict)
    unmapped: dict[str, str | int] = Field(default_factory=dict)
    builtin_values: bool = True  # also apply the built-in Chinese/English value maps
    database: dict[str, DatabaseTable] = Field(default_factory=dict)
    source: str = ""  # set by load_mapping: where it came from, for messages

    @model_validator(mode="after")
    def _consistent(self):
        for kind in KINDS:
            section: KindImport = getattr(self.imports, kind)
            known = FIELD_BY_NAME[kind]
            for name in (*section.columns, *section.constants):
                if name not in known:
                    raise ValueError(f"import.{kind}: unknown field {name!r}; fields are {', '.join(known)}")
            both = set(section.columns) & set(section.constants)
            if both:
                raise ValueError(f"import.{kind}: {min(both)!r} is given both as a column and as a constant")
            for name, source in section.columns.items():
                if source.when_status is not None and (kind != "tickets" or known[name].type != _T):
                    raise ValueError(f"import.{kind}.columns.{name}: when_status applies to ticket timestamps only")
        for table, entries in self.values.items():
            if table not in VALUE_TABLES:
                raise ValueError(f"values.{table}: unknown value table; tables are {', '.join(VALUE_TABLES)}")
            for raw, target in entries.items():
                _check_target(f"values.{table}.{raw!r}", table, target, allow_null=False)
        for table, target in self.unmapped.items():
            if table not in VALUE_TABLES or table == "estate_id":
                raise ValueError(f"unmapped.{table}: unknown value table; tables are {', '.join(t for t in VALUE_TABLES if t != 'estate_id')}")
            _check_target(f"unmapped.{table}", table, target, allow_null=True)
        for name, table in self.database.items():
            if name not in schema.CANONICAL_TABLES:
                raise ValueError(f"database.{name}: not a canonical table; tables are {', '.join(schema.CANONICAL_TABLES)}")
            columns = {c.name for c in getattr(schema, name).columns}
            for column in table.columns:
                if column not in columns:
                    raise ValueError(f"database.{name}.columns: {column!r} is not a column of {name}")
        return self

    # --- lookups used by the importer and the views ------------------------------------
    def value_map(self, table: str) -> dict[str, str | int]:
        """Normalised raw value -> canonical code: canonical codes themselves, built-ins, then the file's."""
        merged: dict[str, str | int] = {}
        for code in VALUE_TABLES[table]:
            merged[normalise(str(code))] = code
        if self.builtin_values:
            merged.update({normalise(k): v for k, v in DEFAULT_VALUES.get(table, {}).items()})
        merged.update({normalise(k): v for k, v in self.values.get(table, {}).items()})
        return merged

    def unmapped_rule(self, table: str) -> str | int:
        """What a value no map knows becomes: a code, NULL or REJECT (the default)."""
        return self.unmapped.get(table, REJECT)

    def source_zone(self) -> ZoneInfo | None:
        return ZoneInfo(self.timestamps.timezone) if self.timestamps.timezone else None

    def header_sources(self, kind: str) -> dict[str, ColumnSource]:
        """Field -> the headers that may hold it: the file's, then the built-in ones for unlisted fields."""
        section: KindImport = getattr(self.imports, kind)
        sources = dict(section.columns)
        if section.builtin_headers:
            for spec in FIELDS[kind]:
                if spec.name not in sources and spec.name not in section.constants:
                    sources[spec.name] = ColumnSource(columns=[spec.name, *DEFAULT_HEADERS[kind].get(spec.name, ())])
        return sources

    def constants(self, kind: str) -> dict[str, str | int]:
        return dict(getattr(self.imports, kind).constants)


def _check_target(where: str, table: str, target, *, allow_null: bool) -> None:
    if target == REJECT or (allow_null and target == NULL):
        return
    codes = VALUE_TABLES[table]
    if not codes:  # estate ids: any non-empty text
        if not isinstance(target, str) or not target.strip():
            raise ValueError(f"{where}: an estate id must be non-empty text")
        return
    if target not in codes:
        options = ", ".join(str(c) for c in codes) + f", {REJECT!r}" + (f", {NULL!r}" if allow_null else "")
        raise ValueError(f"{where}: {target!r} is not a canonical code; use one of {options}")


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"] if p != "function-after[_consistent(), Mapping]")
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def load_mapping(path: str | Path | None) -> Mapping:
    """The mapping in `path`, or the built-in one for None. Raises MappingError (one line)."""
    if path is None:
        return Mapping(source="built-in mapping")
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise MappingError(f"cannot read the mapping file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"mapping file {path} is not valid TOML: {exc}") from None
    data.pop("source", None)
    try:
        return Mapping.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        problems = len(exc.errors())
        more = f" (and {problems - 1} more problem{'s' if problems > 2 else ''})" if problems > 1 else ""
        raise MappingError(f"mapping file {path}: {_first_error(exc)}{more}") from None


# --- timestamps ----------------------------------------------------------------------------
# When a mapping lists no formats (ISO 8601, also with "/" between date parts, always works).
DEFAULT_TIMESTAMP_FORMATS = ("%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日", "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M")

class TimestampParser:
    """Text (or an XLSX datetime) -> naive wall-clock time of the group."""

    def __init__(self, mapping: Mapping, group_timezone: str) -> None:
        self.formats = list(mapping.timestamps.formats or DEFAULT_TIMESTAMP_FORMATS)
        self.source_zone = mapping.source_zone()
        self.group_zone = ZoneInfo(group_timezone)
        self.convert = self.source_zone is not None and mapping.timestamps.timezone != group_timezone
        self._last_format: str | None = None

    def parse(self, value) -> dt.datetime:
        """Raises ValueError with a reason for text that no format reads."""
        if isinstance(value, dt.datetime):
            moment = value
        else:
            moment = self._parse_text(str(value).strip())
        if moment.tzinfo is not None:  # an explicit offset in the text wins over the mapping's zone
            return moment.astimezone(self.group_zone).replace(tzinfo=None)
        if self.convert:
            return moment.replace(tzinfo=self.source_zone).astimezone(self.group_zone).replace(tzinfo=None)
        return moment

    def _parse_text(self, text: str) -> dt.datetime:
        if len(text) >= 10 and text[4] == "-" and text[7] == "-":  # ISO 8601 is unambiguous, and fast to read
            try:
                return dt.datetime.fromisoformat(text)
            except ValueError:
                pass
        if self._last_format:
            try:
                return dt.datetime.strptime(text, self._last_format)
            except ValueError:
                pass
        for fmt in self.formats:
            try:
                moment = dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
            self._last_format = fmt
            return moment
        try:
            return dt.datetime.fromisoformat(text.replace("/", "-") if re.match(r"^\d{4}/\d", text) else text)
        except ValueError:
            pass
        expected = " or ".join(repr(f) for f in self.formats) if self.formats else "ISO 8601 (2026-01-31 08:30:00)"
        raise ValueError(f"unparseable date {text!r} (expected {expected})")


# --- source databases: canonical tables as CTEs over the source ------------------------------
class SourceViews:
    """The canonical tables of a source database seen through a mapping, read-only.

    Every statement the data layer runs is a SELECT over schema.estates/tickets/surveys; for
    each canonical table the mapping names, a CTE of the same name built from the source
    (renamed columns, raw values mapped to codes by CASE) is attached in front of it, so the
    queries resolve `tickets` to the mapped rows. Nothing is created in the source database.
    """

    def __init__(self, ctes: dict[str, sa.CTE]) -> None:
        self.ctes = ctes

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(self.ctes)

    def __call__(self, statement):
        return statement.add_cte(*self.ctes.values()) if self.ctes else statement


_TEXT_TYPES = (sa.String,)


def _source_columns(db, table: DatabaseTable) -> tuple[sa.FromClause, list[str]]:
    from .database import DataSourceError

    if table.table is not None:
        schema_name, _, name = table.table.rpartition(".")
        try:
            columns = [c["name"] for c in sa.inspect(db.engine).get_columns(name, schema=schema_name or None)]
        except sa.exc.NoSuchTableError:
            raise DataSourceError(f"the mapping names the table {table.table!r}, which {db.describe()} does not have") from None
        except sa.exc.SQLAlchemyError as exc:
            raise db._translate(exc) from exc
        return sa.table(name, *[sa.column(c) for c in columns], schema=schema_name or None), columns
    probe = sa.select(sa.text("*")).select_from(sa.text(f"({table.query}) AS mapped_source")).where(sa.false())
    try:
        with db.engine.connect() as conn:
            columns = list(conn.execute(probe).keys())
    except sa.exc.SQLAlchemyError as exc:
        raise db._translate(exc) from exc
    return sa.text(table.query).columns(*[sa.column(c) for c in columns]).subquery("mapped_source"), columns


def _coded(column, mapping: Mapping, table: str):
    """CASE over the trimmed, lower-cased raw value -> code; unknown values stay as they are
    (or become the mapping's default), so `check` can list them."""
    entries: dict[str, str | int] = {}
    if mapping.builtin_values:
        entries.update({k.strip().lower(): v for k, v in DEFAULT_VALUES.get(table, {}).items()})
    entries.update({k.strip().lower(): v for k, v in mapping.values.get(table, {}).items()})
    for code in VALUE_TABLES[table]:
        entries.setdefault(str(code).lower(), code)
    key = sa.func.lower(sa.func.trim(sa.cast(column, sa.String)))
    rule = mapping.unmapped.get(table)
    numeric = table == "escalation"
    if rule in (None, REJECT):
        # Unknown text stays as it is, for `check` to list; a level must stay a number, so it becomes null.
        otherwise = sa.null() if numeric else column
    else:
        otherwise = sa.null() if rule == NULL else sa.literal(rule)
    return sa.case(*[(key == raw, sa.literal(code)) for raw, code in entries.items()], else_=otherwise)


def _zone_converted(column, db, mapping: Mapping, group_timezone: str):
    if not mapping.timestamps.timezone or mapping.timestamps.timezone == group_timezone:
        return column
    if db.dialect != "postgresql":
        from .database import DataSourceError

        raise DataSourceError(
            "time zone conversion of a source database works on PostgreSQL only; "
            "create views that convert to the group's time zone (docs/source-databases.md)")
    local = sa.func.timezone(mapping.timestamps.timezone, column)  # wall clock of the source -> absolute time
    return sa.func.timezone(group_timezone, local)


CODED_COLUMNS = {
    "tickets": {"channel": "channel", "request_type": "request_type", "service_area": "service_area",
                "priority": "priority", "severity": "severity", "status": "status", "escalation_level": "escalation"},
    "surveys": {"service_area": "service_area", "channel": "survey_channel"},
    "estates": {},
}
ZERO_WHEN_MISSING = {"escalation_level", "reopened_count", "households"}


def source_views(db, mapping: Mapping, group_timezone: str = "Asia/Shanghai") -> SourceViews:
    """Build the CTEs for the canonical tables the mapping's [database] section names."""
    ctes = {}
    for name, table in mapping.database.items():
        source, present = _source_columns(db, table)
        by_lower = {c.lower(): c for c in present}
        canonical: sa.Table = getattr(schema, name)
        selected = []
        for column in canonical.columns:
            wanted = table.columns.get(column.name, column.name)
            found = by_lower.get(wanted.lower())
            if found is None:
                if column.name in table.columns:
                    from .database import DataSourceError

                    raise DataSourceError(f"the mapping reads {name}.{column.name} from {wanted!r}, which the source does not have")
                value = sa.literal(0) if column.name in ZERO_WHEN_MISSING else sa.cast(sa.null(), column.type)
            else:
                value = source.c[found]
                if column.name in CODED_COLUMNS[name]:
                    value = _coded(value, mapping, CODED_COLUMNS[name][column.name])
                elif isinstance(column.type, sa.DateTime):
                    value = _zone_converted(value, db, mapping, group_timezone)
            selected.append(value.label(column.name))
        cte = sa.select(*selected).select_from(source).cte(name)
        if db.dialect == "postgresql":
            cte = cte.prefix_with("NOT MATERIALIZED")  # let filters reach the source's indexes
        ctes[name] = cte
    return SourceViews(ctes)


def attach_source_mapping(db, mapping: Mapping, group_timezone: str = "Asia/Shanghai") -> None:
    """Read `db` through the mapping's [database] section from now on (no-op without one)."""
    if mapping.database:
        db.source_views = source_views(db, mapping, group_timezone)
