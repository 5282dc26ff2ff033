"""Deterministic demo data: estates, tickets and surveys that tell recognisable stories.

`generate_demo` writes the canonical tables of METRICS.md with synthetic but plausible
data for a property group: a few dozen estates in eight cities, two years of tickets
with daily, weekly and seasonal rhythms, and follow-up plus periodic surveys.

The stories the charts should show (and tests/test_demo.py checks):
- greening requests rise in spring and summer, repairs and urgent leaks in the rainy
  season (June-July), security requests around Spring Festival while everything else dips;
- owners use the app more each month;
- each estate has a hidden quality factor: good estates reply and resolve faster, escalate
  less and get better scores; slow handling makes complaints severe and owners unhappy;
- recent tickets are still open, and a few complaints stay unresolved past 30 days.

Same seed, same arguments and same `end` give identical rows on every engine. Tickets are
generated in chunks of whole days with one random stream per chunk, so memory stays
bounded (10M rows are fine) and the rows never depend on the database being written.
"""
from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from tqdm import tqdm

from .database import Database, DataSourceError
from .schema import (
    REQUEST_TYPES,
    SATISFACTION_DIMENSIONS,
    SERVICE_AREAS,
    SEVERITIES,
    STATUSES,
    SURVEY_CHANNELS,
    TICKET_CHANNELS,
    create_schema,
    estates as estates_table,
    surveys as surveys_table,
    tickets as tickets_table,
)
from .settings import DEFAULT_SLA_HOURS

# ---------------------------------------------------------------------------------------
# Reference lists
# ---------------------------------------------------------------------------------------

# city -> (region, share of estates, city-wide service quality offset)
CITIES = {
    "上海": ("华东", 0.20, 0.25),
    "杭州": ("华东", 0.14, 0.15),
    "南京": ("华东", 0.12, 0.0),
    "苏州": ("华东", 0.12, 0.05),
    "深圳": ("华南", 0.12, 0.30),
    "广州": ("华南", 0.11, -0.10),
    "成都": ("西南", 0.10, -0.20),
    "武汉": ("华中", 0.09, -0.35),
}
NAME_PREFIXES = (
    "翠湖 锦绣 金色 阳光 滨江 紫薇 御景 东方 星河 明珠 湖畔 春江 桃源 枫林 蓝湾 海棠 香樟 银杏 "
    "玫瑰 云山 天悦 锦江 汇景 碧水 翡翠 凤凰 梧桐 清风 明月 书香 嘉禾 瑞景 盛世 丽都 望江 青松"
).split()
NAME_SUFFIXES = "花园 华庭 名苑 雅居 新城 公馆 家园 山庄 苑 湾 里 世家 天地 嘉园 府邸 佳园".split()
PHASES = "二期 三期 四期 五期 六期 七期 八期 九期".split()

SURNAMES = (
    "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 林 高 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 "
    "彭 曾 肖 田 董 潘 袁 蔡 蒋 余 于 杜 叶 程 魏 苏 吕 丁 任 沈"
).split()
GIVEN_CHARS = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀 霞 平 刚 桂 英 华 玉 萍 红 建 文 辉 "
    "力 鹏 宇 浩 子 涵 欣 怡 思 雨 晨 佳 俊 博 嘉 睿 泽 梓 轩 诗 琳 婷 雪 飞 志 国 海 斌 兰 慧"
).split()

# What owners write, by (area, request type); urgent repairs and security matters have their own.
SUMMARIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("repair", "repair"): ("卫生间下水道堵塞，请派人疏通", "厨房水龙头滴水", "楼道灯不亮", "入户门门锁损坏",
                           "单元门禁卡失灵", "阳台地漏反水", "电梯按钮失灵", "外墙渗水，墙面起皮"),
    ("repair", "complaint"): ("报修三天无人上门", "维修师傅上门不准时", "维修后问题依旧", "电梯经常故障停运"),
    ("repair", "inquiry"): ("咨询维修收费标准", "咨询装修报备流程", "咨询停水停电通知"),
    ("repair", "suggestion"): ("建议增加电动车充电桩", "建议更换老旧电梯"),
    ("repair", "praise"): ("表扬维修师傅工作认真负责", "感谢工程部连夜抢修"),
    ("security", "repair"): ("小区道闸故障，车辆无法进出", "监控摄像头损坏"),
    ("security", "complaint"): ("保安夜间巡逻不到位", "外来车辆随意停放", "快递外卖人员随意进出", "保安态度生硬"),
    ("security", "inquiry"): ("咨询访客登记办法", "咨询临时停车收费"),
    ("security", "suggestion"): ("建议加强春节期间巡逻", "建议增加夜间巡逻频次"),
    ("security", "praise"): ("表扬保安帮忙找回走失老人", "感谢保安帮忙搬运物品"),
    ("cleaning", "repair"): ("垃圾桶破损需更换", "垃圾房门损坏"),
    ("cleaning", "complaint"): ("楼道垃圾未及时清运", "电梯间有异味", "地下车库卫生差", "小区内有老鼠出没"),
    ("cleaning", "inquiry"): ("咨询垃圾分类投放时间", "咨询装修垃圾清运"),
    ("cleaning", "suggestion"): ("建议增加垃圾分类指引", "建议定期消杀灭蚊"),
    ("cleaning", "praise"): ("表扬保洁阿姨打扫干净",),
    ("greening", "repair"): ("草坪喷灌设备漏水", "树枝断裂需清理"),
    ("greening", "complaint"): ("树木遮挡阳光，请修剪", "绿化带杂草丛生", "打药未提前通知", "草坪修剪噪音扰民"),
    ("greening", "inquiry"): ("咨询绿化打药时间", "咨询能否认养绿地"),
    ("greening", "suggestion"): ("建议增加花卉品种", "建议在儿童游乐区增加树荫"),
    ("greening", "praise"): ("表扬绿化养护到位，小区环境优美",),
    ("other", "repair"): ("公共区域座椅损坏", "信报箱损坏"),
    ("other", "complaint"): ("物业费收费不透明", "前台服务态度差", "邻居装修噪音扰民", "宠物粪便无人处理"),
    ("other", "inquiry"): ("咨询物业费缴纳方式", "咨询开具发票", "咨询社区活动报名", "咨询车位租赁"),
    ("other", "suggestion"): ("建议开展更多社区活动", "建议公示公共收益"),
    ("other", "praise"): ("感谢管家热心服务",),
}
URGENT_SUMMARIES: dict[str, tuple[str, ...]] = {
    "repair": ("家中天花板漏水，请尽快处理", "楼上漏水渗到我家", "家中突然停电", "电梯困人",
               "水管爆裂，屋内进水", "地下车库积水"),
    "security": ("发现可疑人员在楼道徘徊", "消防通道被车辆堵塞", "楼道内有烟味，疑似火情"),
}
COMMENTS = {
    "good": ("处理及时，非常满意", "师傅很专业", "服务态度好", "谢谢！", "管家很负责"),
    "fair": ("还可以，希望更快一些", "问题解决了，但等了比较久", "一般"),
    "poor": ("等了好几天才处理", "问题没有彻底解决", "态度敷衍", "多次反映无人理会"),
}

# Base mix of service areas, and request types within each area (rows follow SERVICE_AREAS).
AREA_SHARE = np.array([0.14, 0.16, 0.10, 0.38, 0.22])
TYPE_BY_AREA = np.array([
    #  repair complaint inquiry suggestion praise
    [0.06, 0.26, 0.38, 0.16, 0.10],  # security
    [0.07, 0.30, 0.26, 0.20, 0.12],  # cleaning
    [0.26, 0.20, 0.24, 0.20, 0.08],  # greening
    [0.72, 0.09, 0.13, 0.04, 0.02],  # repair
    [0.05, 0.15, 0.60, 0.12, 0.07],  # other
])
# Urgent share by request type before seasonal and area adjustments.
URGENT_SHARE = np.array([0.18, 0.12, 0.04, 0.0, 0.0])
# Median resolution time as a fraction of the SLA, by request type.
RESOLUTION_VS_SLA = np.array([0.34, 0.40, 0.28, 0.45, 0.15])
SLA_HOURS = np.array([[DEFAULT_SLA_HOURS[t]["normal"], DEFAULT_SLA_HOURS[t]["urgent"]] for t in REQUEST_TYPES])

# Hour-of-day profiles: quiet nights, a morning and an evening peak; weekends start later.
WEEKDAY_HOURS = np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.6, 1.6, 3.0, 3.6, 3.2, 2.6,
                          1.8, 2.0, 2.4, 2.4, 2.4, 2.6, 3.0, 3.4, 3.0, 2.0, 1.1, 0.6])
WEEKEND_HOURS = np.array([0.4, 0.25, 0.15, 0.1, 0.1, 0.15, 0.3, 0.8, 1.6, 2.6, 3.4, 3.2,
                          2.4, 2.2, 2.4, 2.5, 2.5, 2.6, 2.9, 3.2, 3.0, 2.2, 1.3, 0.7])
WEEKDAY_VOLUME = np.array([1.08, 1.0, 0.98, 0.98, 1.02, 0.84, 0.78])  # Monday first

# Spring Festival (春节) dates; other years fall back to early February.
SPRING_FESTIVAL = {
    2015: "02-19", 2016: "02-08", 2017: "01-28", 2018: "02-16", 2019: "02-05", 2020: "01-25",
    2021: "02-12", 2022: "02-01", 2023: "01-22", 2024: "02-10", 2025: "01-29", 2026: "02-17",
    2027: "02-06", 2028: "01-26", 2029: "02-13", 2030: "02-03",
}

AREA = {a: i for i, a in enumerate(SERVICE_AREAS)}
TYPE = {t: i for i, t in enumerate(REQUEST_TYPES)}
CHANNEL = {c: i for i, c in enumerate(TICKET_CHANNELS)}
TICKETS_PER_CHUNK = 50_000  # generated and written at a time: bounds memory, never changes the rows
OPEN, IN_PROGRESS, RESOLVED, CLOSED, CANCELLED = (
    STATUSES.index(s) for s in ("open", "in_progress", "resolved", "closed", "cancelled"))

SURVEY_COLUMNS = tuple(c.name for c in surveys_table.columns)
ESTATE_COLUMNS = tuple(c.name for c in estates_table.columns)


@dataclass(frozen=True)
class DemoSummary:
    estates: int
    tickets: int
    surveys: int
    start: dt.date
    end: dt.date
    seconds: float

    def __str__(self) -> str:
        estates = f"{self.estates:,} estate{'' if self.estates == 1 else 's'}"
        return (f"Demo data: {estates}, {self.tickets:,} tickets and {self.surveys:,} surveys "
                f"from {self.start} to {self.end}, written in {self.seconds:.1f} s")


# ---------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------

def generate_demo(db: Database, *, estates: int = 60, tickets: int = 300_000, months: int = 24, seed: int = 7,
                  end: dt.date | None = None, replace: bool = False, progress: bool = True) -> DemoSummary:
    """Write deterministic demo estates, tickets and surveys into `db` (creating the tables)."""
    if estates < 1 or tickets < 0 or months < 1:
        raise ValueError("need at least one estate, one month and a non-negative number of tickets")
    if db.dialect not in _LOADERS:
        raise DataSourceError(f"demo data can be written to SQLite, PostgreSQL or MySQL/MariaDB, not {db.dialect}")
    started = time.perf_counter()
    end = end or dt.date.today() - dt.timedelta(days=1)
    plan = Plan.build(estates, tickets, months, seed, end)
    _prepare_tables(db, replace)

    written_surveys = 0
    with tqdm(total=tickets, unit=" tickets", unit_scale=True, desc="demo data", file=sys.stderr,
              disable=not progress, leave=False) as bar, _bulk_loader(db) as load:
        if replace:
            load.clear()
        load.write(estates_table, plan.estate_rows())
        first_number = 1
        for index, (lo, hi) in enumerate(plan.chunks()):
            rng = _rng(seed, STREAM_TICKETS, index)
            chunk = make_tickets(plan, lo, hi, first_number, rng)
            follow_ups = make_follow_up_surveys(chunk, rng)
            load.write(tickets_table, chunk.columns)
            load.write(surveys_table, follow_ups)
            written_surveys += len(follow_ups["survey_id"])
            first_number += chunk.size
            bar.update(chunk.size)
        periodic = make_periodic_surveys(plan, _rng(seed, STREAM_PERIODIC, 0))
        load.write(surveys_table, periodic)
        written_surveys += len(periodic["survey_id"])
    db.analyze(["estates", "tickets", "surveys"])
    return DemoSummary(estates, tickets, written_surveys, plan.start, plan.end, time.perf_counter() - started)


STREAM_ESTATES, STREAM_CALENDAR, STREAM_TICKETS, STREAM_PERIODIC = range(4)


def _rng(seed: int, stream: int, index: int) -> np.random.Generator:
    """An independent random stream per purpose and chunk, all derived from the one seed."""
    return np.random.default_rng(np.random.SeedSequence(seed % 2**64, spawn_key=(stream, index)))


# ---------------------------------------------------------------------------------------
# The plan: estates and the calendar, shared by every chunk
# ---------------------------------------------------------------------------------------

@dataclass
class Plan:
    seed: int
    start: dt.date
    end: dt.date
    estates: dict[str, np.ndarray]  # estate_id, name, city, region, households, layout, desk_quality
    quality: np.ndarray  # (estates, areas): handling quality of each service team, >0 better
    days: np.ndarray  # datetime64[D], start..end
    area_weight: np.ndarray  # (days, areas): expected tickets per area and day, relative
    daily: np.ndarray  # tickets per day (sums to the requested total)
    rainy: np.ndarray  # 0..1 per day: rainy-season intensity
    holiday: np.ndarray  # 0..1 per day: Spring Festival holiday intensity

    @classmethod
    def build(cls, n_estates: int, n_tickets: int, months: int, seed: int, end: dt.date) -> Plan:
        start = _months_before(end, months)
        estates, quality = make_estates(n_estates, _rng(seed, STREAM_ESTATES, 0))
        days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
        area_weight, rainy, holiday = seasonal_area_weights(days)
        total = area_weight.sum(axis=1)
        daily = _rng(seed, STREAM_CALENDAR, 0).multinomial(n_tickets, total / total.sum())
        return cls(seed, start, end, estates, quality, days, area_weight, daily, rainy, holiday)

    @property
    def as_of(self) -> np.datetime64:
        """Midnight after the last day: nothing in the data happens later."""
        return (self.days[-1] + 1).astype("datetime64[s]")

    def chunks(self) -> list[tuple[int, int]]:
        """Ranges of whole days holding about TICKETS_PER_CHUNK tickets each."""
        bounds = [0]
        running = 0
        for i, n in enumerate(self.daily):
            running += n
            if running >= TICKETS_PER_CHUNK:
                bounds.append(i + 1)
                running = 0
        if bounds[-1] != len(self.daily):
            bounds.append(len(self.daily))
        return [(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:]) if self.daily[lo:hi].sum()]

    def estate_rows(self) -> dict[str, np.ndarray]:
        return {c: self.estates[c] for c in ESTATE_COLUMNS}


def _months_before(end: dt.date, months: int) -> dt.date:
    """First day of a span of `months` months ending at `end` inclusive."""
    index = end.year * 12 + end.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last_day = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(end.day, last_day)) + dt.timedelta(days=1)


def make_estates(n: int, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Estates with unique Chinese names, a city, households 150-3,000 and a hidden quality."""
    cities = list(CITIES)
    shares = np.array([CITIES[c][1] for c in cities])
    # Every city appears once before the rest are drawn by share.
    rest = rng.choice(len(cities), max(0, n - len(cities)), p=shares)
    city_index = np.concatenate([rng.permutation(len(cities)), rest])[:n]
    households = np.clip(np.round(rng.lognormal(np.log(900), 0.6, n) / 10) * 10, 150, 3000).astype(np.int64)
    city_offset = np.array([CITIES[cities[i]][2] for i in city_index])
    quality = np.clip(city_offset + rng.normal(0, 0.7, n), -2.0, 2.0)
    # The front desk (first replies) and each service team are a little better or worse
    # than the estate overall, so estate rankings agree broadly but not perfectly.
    desk_quality = quality + rng.normal(0, 0.35, n)
    area_quality = quality[:, None] + rng.normal(0, 0.35, (n, len(SERVICE_AREAS)))
    width = max(3, len(str(n)))
    estates = {
        "estate_id": np.array([f"E{i + 1:0{width}d}" for i in range(n)], dtype=object),
        "name": np.array(_estate_names(n, rng), dtype=object),
        "city": np.array([cities[i] for i in city_index], dtype=object),
        "region": np.array([CITIES[cities[i]][0] for i in city_index], dtype=object),
        "households": households,
        # Building layout for room numbers: floors per building, units per building, flats per floor.
        "floors": rng.choice(np.array([6, 11, 18, 26, 33]), n, p=[0.2, 0.25, 0.25, 0.2, 0.1]),
        "units": rng.integers(1, 4, n),
        "flats": rng.integers(2, 5, n),
        "desk_quality": desk_quality,
    }
    return estates, area_quality


def _estate_names(n: int, rng: np.random.Generator) -> list[str]:
    combos = [p + s for p in NAME_PREFIXES for s in NAME_SUFFIXES]
    combos = [combos[i] for i in rng.permutation(len(combos))]
    names = []
    for phase in ("", *PHASES, *(f"{k}期" for k in range(10, 10_000))):
        names.extend(name + phase for name in combos)
        if len(names) >= n:
            return names[:n]
    raise ValueError(f"too many estates: {n}")


# ---------------------------------------------------------------------------------------
# The calendar: how many tickets of each area a day brings
# ---------------------------------------------------------------------------------------

def _seasonal_bump(day_of_year: np.ndarray, centre: float, width: float) -> np.ndarray:
    """A smooth yearly bump peaking on `centre` (day of year), about `width` days wide."""
    distance = np.abs(day_of_year - centre)
    distance = np.minimum(distance, 365 - distance)
    return np.exp(-((distance / width) ** 2))


def _days_from_spring_festival(days: np.ndarray) -> np.ndarray:
    """Signed days from the nearest Spring Festival (negative before it)."""
    years = days.astype("datetime64[Y]").astype(int) + 1970
    festivals = []
    for year in range(years.min() - 1, years.max() + 2):
        festivals.append(np.datetime64(f"{year}-{SPRING_FESTIVAL.get(year, '02-04')}", "D"))
    festivals = np.array(festivals)
    offsets = (days[:, None] - festivals[None, :]).astype(int)
    nearest = np.abs(offsets).argmin(axis=1)
    return offsets[np.arange(len(days)), nearest]


def seasonal_area_weights(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Relative expected tickets per day and area, plus the rainy-season and holiday curves."""
    day_of_year = (days - days.astype("datetime64[Y]")).astype(int) + 1
    weekday = (days.astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    years_in = (days - days[0]).astype(int) / 365.25
    from_festival = _days_from_spring_festival(days)

    rainy = _seasonal_bump(day_of_year, 182, 20)  # 梅雨: mid-June to mid-July
    festival = np.exp(-((from_festival / 12.0) ** 2))  # security: fireworks, empty homes
    holiday = np.exp(-(((from_festival - 2) / 5.0) ** 2))  # owners travel home: fewer requests
    national_day = ((day_of_year >= 274) & (day_of_year <= 280)).astype(float)  # 1-7 October, roughly

    season = np.ones((len(days), len(SERVICE_AREAS)))
    season[:, AREA["security"]] += 1.0 * festival
    fireworks_debris = np.exp(-(((from_festival - 3) / 5.0) ** 2))
    season[:, AREA["cleaning"]] += 0.3 * _seasonal_bump(day_of_year, 200, 45) + 0.5 * fireworks_debris
    season[:, AREA["greening"]] = 0.4 + 1.4 * _seasonal_bump(day_of_year, 175, 60)
    season[:, AREA["repair"]] += 0.8 * rainy
    dip = (1 - 0.35 * holiday - 0.2 * national_day)[:, None] * np.ones(len(SERVICE_AREAS))
    dip[:, AREA["security"]] = 1.0
    volume = WEEKDAY_VOLUME[weekday] * (1 + 0.12 * years_in)  # more owners, more requests
    weights = AREA_SHARE[None, :] * season * dip * volume[:, None]
    return weights, rainy, holiday


# ---------------------------------------------------------------------------------------
# Tickets
# ---------------------------------------------------------------------------------------

@dataclass
class TicketChunk:
    """One chunk of tickets: `columns` are the table's columns; the rest feed the surveys."""

    columns: dict[str, np.ndarray]
    numbers: np.ndarray  # ticket sequence numbers (follow-up survey ids reuse them)
    visited_at: np.ndarray  # follow-up visit time, NaT where none (yet)
    satisfaction: np.ndarray  # latent 1-5 mood of the owner after handling
    slowness: np.ndarray  # how slow handling felt, >= 0
    day_fraction: np.ndarray  # 0..1 position in the whole span (app growth)

    @property
    def size(self) -> int:
        return len(self.numbers)


def _pick(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One index per row of `weights` (rows need not sum to 1)."""
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cumulative[:, -1]
    return np.minimum((cumulative < u[:, None]).sum(axis=1), weights.shape[1] - 1)


def _seconds(values: np.ndarray) -> np.ndarray:
    return np.round(values).astype(np.int64).astype("timedelta64[s]")


def make_tickets(plan: Plan, lo: int, hi: int, first_number: int, rng: np.random.Generator) -> TicketChunk:
    """Tickets created on plan.days[lo:hi], in created_at order, numbered from `first_number`."""
    day = np.repeat(np.arange(lo, hi), plan.daily[lo:hi])
    n = len(day)
    weekday = (plan.days[day].astype(int) + 3) % 7
    weekend = weekday >= 5
    created = arrival_times(plan, day, weekend, rng)
    hour = (created - created.astype("datetime64[D]")).astype(int) // 3600
    night = (hour < 7) | (hour >= 22)

    area = _pick(rng, plan.area_weight[day])
    households = plan.estates["households"]
    estate = rng.choice(len(households), n, p=households / households.sum())
    quality = plan.quality[estate, area]
    request_type = choose_request_types(area, quality, weekend, rng)
    urgent = choose_urgency(area, request_type, plan.rainy[day], rng)

    response_minutes = first_reply_minutes(plan.estates["desk_quality"][estate], urgent, night, weekend, rng)
    resolution_hours, sla_hours, stuck = resolution_hours_for(plan, day, area, request_type, urgent, quality, rng)
    cancelled = rng.random(n) < 0.01

    # How slow handling felt: drives severity, escalation and satisfaction alike.
    reply_minutes = np.nan_to_num(response_minutes, nan=15)
    reply_slowness = np.where(np.isnan(response_minutes), 1.5, np.clip(np.log(reply_minutes / 15), 0, 3))
    slowness = np.clip(np.log(resolution_hours / sla_hours), 0, 4)
    complaint = request_type == TYPE["complaint"]
    severity = complaint_severity(complaint, slowness, stuck, quality, rng)
    level = escalation_levels(reply_slowness, slowness, complaint, urgent, severity, quality, stuck, rng)
    level[cancelled] = 0

    # Owners mind slow handling, and a missed promised time on its own.
    satisfaction = (4.35 + 0.2 * quality - 0.55 * slowness - 0.3 * (slowness > 0) - 0.25 * reply_slowness
                    - 0.4 * complaint + 0.3 * (request_type == TYPE["praise"]) - 0.25 * level + rng.normal(0, 0.7, n))
    first_response_at, resolved_at, escalated_at, level = timestamps(
        plan, created, response_minutes, resolution_hours, level, cancelled, rng)
    visited_at, closed_at, status = follow_up_and_close(plan, first_response_at, resolved_at, quality, cancelled, rng)
    # Reopened after an unhappy follow-up, then resolved again.
    reopened_p = np.where(satisfaction < 2.5, 0.3, 0.008) * ~np.isnat(resolved_at)
    reopened = np.where(rng.random(n) < reopened_p, 1 + (rng.random(n) < 0.2), 0)

    channel = choose_channels(plan, day, hour, weekend, area, request_type, rng)
    numbers = np.arange(first_number, first_number + n)
    columns = {
        "ticket_id": _ids("T", numbers, max(7, len(str(int(plan.daily.sum()))))),
        "estate_id": plan.estates["estate_id"][estate],
        "created_at": created,
        "channel": np.array(TICKET_CHANNELS, dtype=object)[channel],
        "request_type": np.array(REQUEST_TYPES, dtype=object)[request_type],
        "service_area": np.array(SERVICE_AREAS, dtype=object)[area],
        "priority": np.where(urgent, "urgent", "normal").astype(object),
        "severity": np.array((*SEVERITIES, None), dtype=object)[severity],
        "status": np.array(STATUSES, dtype=object)[status],
        "first_response_at": first_response_at,
        "resolved_at": resolved_at,
        "closed_at": closed_at,
        "escalation_level": level,
        "escalated_at": escalated_at,
        "reopened_count": reopened,
        **owners(plan, estate, rng),
        "summary": summaries(area, request_type, urgent, rng),
    }
    return TicketChunk(columns, numbers, visited_at, satisfaction, slowness + 0.5 * reply_slowness,
                       (day + 0.5) / len(plan.days))


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width)).astype(object)


def arrival_times(plan: Plan, day: np.ndarray, weekend: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """created_at: few at night, peaks mid-morning and early evening; sorted within the chunk."""
    u = rng.random(len(day))
    hour = np.where(weekend,
                    np.searchsorted(np.cumsum(WEEKEND_HOURS) / WEEKEND_HOURS.sum(), u),
                    np.searchsorted(np.cumsum(WEEKDAY_HOURS) / WEEKDAY_HOURS.sum(), u))
    second_of_day = np.minimum(hour, 23) * 3600 + rng.integers(0, 3600, len(day))
    second_of_day = second_of_day[np.lexsort((second_of_day, day))]  # day is already sorted
    return plan.days[day].astype("datetime64[s]") + second_of_day.astype("timedelta64[s]")


def choose_request_types(area, quality, weekend, rng) -> np.ndarray:
    """Type by area; owners of badly run estates complain more, and more so at weekends (they are home)."""
    weights = TYPE_BY_AREA[area].copy()
    weights[:, TYPE["complaint"]] *= np.exp(-0.35 * quality) * np.where(weekend, 1.2, 1.0)
    weights[:, TYPE["praise"]] *= np.exp(0.3 * quality)
    return _pick(rng, weights)


def choose_urgency(area, request_type, rainy, rng) -> np.ndarray:
    """About 10% urgent: leaks in the rainy season, safety matters for security."""
    p = URGENT_SHARE[request_type].copy()
    p += np.where((area == AREA["repair"]) & (request_type == TYPE["repair"]), 0.15 * rainy, 0)
    p *= np.where(area == AREA["security"], 1.5, 1.0)
    return rng.random(len(p)) < p


def choose_channels(plan, day, hour, weekend, area, request_type, rng) -> np.ndarray:
    """Phone and front desk dominate; the app grows from about 12% to 40% over the span."""
    n = len(day)
    t = (day + 0.5) / len(plan.days)
    weights = np.tile(np.array([0.44, 0.22, 0.0, 0.04, 0.10, 0.04, 0.03]), (n, 1))
    weights[:, CHANNEL["app"]] = 0.12 + 0.42 * t
    weights[:, CHANNEL["front_desk"]] *= np.where((hour < 8) | (hour >= 20), 0.0, np.where(weekend, 1.4, 1.0))
    outdoor = np.isin(area, [AREA["security"], AREA["cleaning"], AREA["greening"]])
    problem = np.isin(request_type, [TYPE["repair"], TYPE["complaint"]])
    weights[:, CHANNEL["patrol"]] *= np.where(outdoor, 2.5, 0.5) * np.where(problem, 1.0, 0.2)
    suggestion, praise = request_type == TYPE["suggestion"], request_type == TYPE["praise"]
    weights[:, CHANNEL["mailbox"]] *= np.where(suggestion, 5.0, np.where(praise, 2.5, 1.0))
    weights[:, CHANNEL["email"]] *= np.where(suggestion, 2.0, 1.0)
    return _pick(rng, weights)


def first_reply_minutes(quality, urgent, night, weekend, rng) -> np.ndarray:
    """Minutes to the first reply: lognormal around 6 min, slower at night and in bad estates.

    NaN where no reply is recorded (a few %, more in bad estates)."""
    n = len(quality)
    median = 6.0 * np.exp(-0.4 * quality) * np.where(night, 2.5, 1.0) * np.where(weekend, 1.15, 1.0)
    median *= np.where(urgent, 0.45, 1.0)  # on site immediately
    minutes = np.minimum(median * np.exp(0.9 * rng.standard_normal(n)), 3 * 24 * 60)
    unanswered = rng.random(n) < 0.025 * np.exp(-0.5 * quality)
    return np.where(unanswered, np.nan, np.maximum(minutes, 0.25))


def resolution_hours_for(plan, day, area, request_type, urgent, quality, rng):
    """Hours to resolution around the SLA of type and priority; slower in bad estates, in the
    rainy season (repairs) and over Spring Festival (staff on leave). A few complaints get
    stuck for over a month, and a handful are never resolved (inf)."""
    n = len(day)
    sla = SLA_HOURS[request_type, urgent.astype(int)]
    median = sla * RESOLUTION_VS_SLA[request_type] * np.exp(-0.4 * quality)
    median *= 1 + 0.3 * plan.rainy[day] * (area == AREA["repair"]) + 0.5 * plan.holiday[day]
    hours = median * np.exp(0.85 * rng.standard_normal(n))
    complaint = request_type == TYPE["complaint"]
    # Stuck complaints pass the month of METRICS.md's overdue rule; most are then settled within
    # days (escalated as major), some drag on for months.
    stuck = complaint & (rng.random(n) < 0.025 * np.exp(-0.6 * quality))
    overrun = np.where(rng.random(n) < 0.8, rng.gamma(1.0, 5.0, n), rng.gamma(2.0, 15.0, n))
    hours = np.where(stuck, 24 * (30.5 + overrun), hours)
    abandoned = complaint & (rng.random(n) < 0.002)
    hours = np.where(abandoned, np.inf, np.maximum(hours, 0.1))
    return hours, sla, stuck | abandoned


def complaint_severity(complaint, slowness, stuck, quality, rng) -> np.ndarray:
    """Index into (minor, important, major, None): most minor, few major, ~5% unclassified.
    Slow handling makes complaints severe; one unresolved for a month is major by rule."""
    n = len(complaint)
    major = np.clip(0.02 + 0.06 * slowness + np.where(stuck, 0.55, 0), 0, 0.95)
    important = np.clip(0.17 + 0.07 * slowness - 0.04 * quality, 0.05, 0.6) * (1 - major)
    u = rng.random(n)
    severity = np.where(u < major, 2, np.where(u < major + important, 1, 0))
    severity = np.where(rng.random(n) < 0.05, 3, severity)
    return np.where(complaint, severity, 3)


def escalation_levels(reply_slowness, slowness, complaint, urgent, severity, quality, stuck, rng) -> np.ndarray:
    """0 none .. 3 leadership: likelier after a slow reply or slow handling, for complaints and urgent matters."""
    n = len(slowness)
    logit = (-3.9 + 0.7 * reply_slowness + 1.2 * slowness + 1.1 * complaint + 0.5 * urgent
             + 1.0 * (severity == 2) - 0.3 * quality + 2.5 * stuck)
    escalated = rng.random(n) < 1 / (1 + np.exp(-logit))
    higher = np.clip(0.15 + 0.12 * slowness + 0.3 * (severity == 2), 0, 0.9)
    highest = higher * np.clip(0.2 + 0.1 * slowness + 0.3 * stuck, 0, 0.8)
    u = rng.random(n)
    return np.where(escalated, 1 + (u < higher) + (u < highest), 0).astype(np.int64)


def timestamps(plan, created, response_minutes, resolution_hours, level, cancelled, rng):
    """Reply, resolution and escalation times, with whatever lies after the data's end left null."""
    n = len(created)
    as_of = plan.as_of
    replied = ~np.isnan(response_minutes)
    nat = np.datetime64("NaT")
    first_response_at = np.where(replied, created + _seconds(np.nan_to_num(response_minutes) * 60), nat)
    # A very few data-entry errors: the reply recorded before the ticket (METRICS.md treats it as missing).
    typo = replied & (rng.random(n) < 0.0005)
    first_response_at = np.where(typo, created - _seconds(rng.uniform(60, 180 * 60, n)), first_response_at)

    finite = np.isfinite(resolution_hours)
    resolved_at = created + _seconds(np.where(finite, resolution_hours, 0) * 3600)
    # Resolution follows the reply.
    after_reply = first_response_at + _seconds(rng.uniform(60, 3600, n))
    resolved_at = np.where(replied & ~typo & (after_reply > resolved_at), after_reply, resolved_at)
    resolved_at = np.where(finite & ~cancelled, resolved_at, np.datetime64("NaT"))

    # Escalation happens part-way through handling (within ten days for the never resolved).
    handling = np.where(finite, resolution_hours, rng.uniform(24, 240, n)) * 3600
    escalated_at = created + _seconds(handling * rng.uniform(0.3, 0.9, n))
    escalated_at = np.where(level > 0, escalated_at, np.datetime64("NaT"))

    first_response_at = np.where(first_response_at < as_of, first_response_at, np.datetime64("NaT"))
    resolved_at = np.where(resolved_at < as_of, resolved_at, np.datetime64("NaT"))
    not_yet = ~(escalated_at < as_of)
    level = np.where(not_yet, 0, level)
    escalated_at = np.where(not_yet, np.datetime64("NaT"), escalated_at)
    return first_response_at, resolved_at, escalated_at, level


def follow_up_and_close(plan, first_response_at, resolved_at, quality, cancelled, rng):
    """Follow-up visit 1-5 days after resolution for about 80% of resolved tickets, then closing.

    Status follows the timestamps: closed has closed_at, resolved has resolved_at only,
    in_progress has a reply, open has none; cancelled tickets keep neither."""
    n = len(resolved_at)
    as_of = plan.as_of
    resolved = ~np.isnat(resolved_at)
    visited_at = ((resolved_at.astype("datetime64[D]") + rng.integers(1, 6, n)).astype("datetime64[s]")
                  + rng.integers(9 * 3600, 21 * 3600, n).astype("timedelta64[s]"))
    visited = resolved & (rng.random(n) < np.clip(0.8 + 0.04 * quality, 0.6, 0.95)) & (visited_at < as_of)
    closed_at = np.where(visited, visited_at + _seconds(rng.uniform(600, 6 * 3600, n)),
                         resolved_at + _seconds(rng.uniform(1, 7, n) * 86400))
    closed = resolved & (closed_at < as_of) & (rng.random(n) < 0.94)
    replied = ~np.isnat(first_response_at)
    status = np.where(closed, CLOSED, np.where(resolved, RESOLVED, np.where(replied, IN_PROGRESS, OPEN)))
    status = np.where(cancelled, CANCELLED, status)
    nat = np.datetime64("NaT")
    return np.where(visited, visited_at, nat), np.where(closed, closed_at, nat), status


def owners(plan: Plan, estate: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Synthetic owner name, phone and room. A household keeps the same owner on every ticket,
    and some households call far more often than others."""
    households = plan.estates["households"][estate]
    household = np.minimum((households * rng.random(len(estate)) ** 1.6).astype(np.int64), households - 1)
    # Spell out each household once, then spread to its tickets.
    stride = int(plan.estates["households"].max())
    unique, inverse = np.unique(estate * stride + household, return_inverse=True)
    estate, household = unique // stride, unique % stride
    key = _mix(np.uint64(plan.seed % 2**64) ^ (estate.astype(np.uint64) << np.uint64(24)) ^ household.astype(np.uint64))
    fields = {"owner_name": owner_names(key), "owner_phone": phone_numbers(key), "room": rooms(plan, estate, household)}
    return {name: values[inverse] for name, values in fields.items()}


_SURNAME_WEIGHTS = np.cumsum(1 / np.arange(1, len(SURNAMES) + 1) ** 0.7)


def owner_names(key: np.ndarray) -> np.ndarray:
    """Surname (common ones likelier) plus a one- or two-character given name."""
    u = (key >> np.uint64(11)).astype(np.float64) / 2**53
    surname = np.minimum(np.searchsorted(_SURNAME_WEIGHTS / _SURNAME_WEIGHTS[-1], u), len(SURNAMES) - 1)
    first = ((key & np.uint64(0xFFFF)) % np.uint64(len(GIVEN_CHARS))).astype(np.int64)
    second = (((key >> np.uint64(16)) & np.uint64(0xFFFF)) % np.uint64(len(GIVEN_CHARS))).astype(np.int64)
    two_chars = ((key >> np.uint64(32)) & np.uint64(0xFF)) < 180
    given = np.array(GIVEN_CHARS, dtype=object)
    return np.array(SURNAMES, dtype=object)[surname] + given[first] + np.where(two_chars, given[second], "")


def phone_numbers(key: np.ndarray) -> np.ndarray:
    """Mainland mobile numbers: 1, then 3-9, then nine digits."""
    other = _mix(key)
    second = 3 + (other >> np.uint64(40)) % np.uint64(7)
    number = 10**10 + second.astype(np.int64) * 10**9 + (other % np.uint64(10**9)).astype(np.int64)
    return number.astype(str).astype(object)


def rooms(plan: Plan, estate: np.ndarray, household: np.ndarray) -> np.ndarray:
    """Room like 3栋2单元1201 from the household's position in its estate's buildings."""
    floors, units, flats = (plan.estates[k][estate] for k in ("floors", "units", "flats"))
    per_building = floors * units * flats
    building = household // per_building + 1
    within = household % per_building
    unit = within // (floors * flats) + 1
    floor = within % (floors * flats) // flats + 1
    flat = within % flats + 1
    def text(values):
        return values.astype(str).astype(object)

    return text(building) + "栋" + text(unit) + "单元" + text(floor * 100 + flat)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64: a well-spread hash of 64-bit keys (wrapping arithmetic is intended)."""
    x = np.asarray(x, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _template_table(groups: list[tuple[str, ...]]):
    texts = np.array([t for g in groups for t in g], dtype=object)
    counts = np.array([len(g) for g in groups])
    return texts, np.concatenate([[0], np.cumsum(counts)[:-1]]), counts


_SUMMARY_GROUPS = [
    URGENT_SUMMARIES.get(a, SUMMARIES[(a, t)]) if urgent and t in ("repair", "complaint") else SUMMARIES[(a, t)]
    for a in SERVICE_AREAS for t in REQUEST_TYPES for urgent in (False, True)
]
_SUMMARY_TEXTS, _SUMMARY_OFFSETS, _SUMMARY_COUNTS = _template_table(_SUMMARY_GROUPS)


def summaries(area, request_type, urgent, rng) -> np.ndarray:
    group = (area * len(REQUEST_TYPES) + request_type) * 2 + urgent
    pick = _SUMMARY_OFFSETS[group] + (rng.random(len(group)) * _SUMMARY_COUNTS[group]).astype(np.int64)
    return _SUMMARY_TEXTS[pick]


# ---------------------------------------------------------------------------------------
# Surveys
# ---------------------------------------------------------------------------------------

def make_follow_up_surveys(chunk: TicketChunk, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One survey per follow-up visit: same estate and area as the ticket, scores from the owner's mood."""
    picked = np.flatnonzero(~np.isnat(chunk.visited_at))
    columns = chunk.columns
    scores = survey_scores(chunk.satisfaction[picked], chunk.slowness[picked], rng)
    app = 0.1 + 0.3 * chunk.day_fraction[picked]  # online questionnaires catch on
    others = np.tile([0.5, 0.15, 0.1], (len(picked), 1))  # phone, sms, visit
    channel = _pick(rng, np.column_stack([others, app]))
    return {
        "survey_id": np.char.add("F", columns["ticket_id"][picked].astype(str)).astype(object),
        "ticket_id": columns["ticket_id"][picked],
        "estate_id": columns["estate_id"][picked],
        "service_area": columns["service_area"][picked],
        "surveyed_at": chunk.visited_at[picked],
        "channel": np.array(SURVEY_CHANNELS, dtype=object)[channel],
        **scores,
        "comment": comments(scores["score"], 0.25, rng),
    }


def survey_scores(mood: np.ndarray, slowness: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Score 1-5 from the latent mood (2% declined: null) and the four dimensions (each
    sometimes null); the speed dimension suffers most from slow handling."""
    n = len(mood)
    shifts = {"score": 0.0, **dict(zip(SATISFACTION_DIMENSIONS, (0.15, 0.0, 0.0, 0.1)))}  # attitude, speed, ...
    scores = {}
    for key, shift in shifts.items():
        latent = mood + shift
        if key != "score":
            latent = latent + rng.normal(0, 0.5, n) - (0.35 * slowness if key == "speed" else 0)
        value = np.clip(np.rint(latent), 1, 5).astype(np.int64).astype(object)
        value[rng.random(n) < (0.02 if key == "score" else 0.07)] = None
        scores[key] = value
    return scores


def comments(score: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """A short comment from some owners, in tune with their score."""
    n = len(score)
    out = np.full(n, None, dtype=object)
    valued = np.where(score == None, 0, score).astype(np.int64)  # noqa: E711 - elementwise
    say = rng.random(n) < share
    for band, chosen in (("good", valued >= 4), ("fair", valued == 3), ("poor", (valued > 0) & (valued <= 2))):
        where = np.flatnonzero(say & chosen)
        texts = np.array(COMMENTS[band], dtype=object)
        out[where] = texts[rng.integers(0, len(texts), len(where))]
    return out


def make_periodic_surveys(plan: Plan, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Quarterly satisfaction surveys per estate in the last month of each quarter: about 1.2%
    of households (at least 5) answer about one service area each."""
    ids, estate_index, areas, dates = [], [], [], []
    first, last = plan.days[0], plan.days[-1]
    quarter = np.datetime64(f"{plan.start.year}-{(plan.start.month - 1) // 3 * 3 + 1:02d}", "M")
    while quarter.astype("datetime64[D]") <= last:
        window_start = (quarter + 2).astype("datetime64[D]")
        window_end = (quarter + 3).astype("datetime64[D]") - 1
        lo, hi = max(window_start, first), min(window_end, last)
        if lo <= hi:
            label = f"{quarter.astype(object).year}Q{(quarter.astype(object).month - 1) // 3 + 1}"
            for e, households in enumerate(plan.estates["households"]):
                k = max(5, int(round(households * 0.012)))
                ids += [f"P{plan.estates['estate_id'][e]}-{label}-{i + 1:03d}" for i in range(k)]
                estate_index += [e] * k
                areas.append(rng.choice(len(SERVICE_AREAS), k, p=AREA_SHARE))
                dates.append(lo + rng.integers(0, (hi - lo).astype(int) + 1, k))
        quarter += 3
    if not ids:
        return {c: np.array([], dtype=object) for c in SURVEY_COLUMNS}
    estate = np.array(estate_index)
    area = np.concatenate(areas)
    n = len(estate)
    office_hours = rng.integers(9 * 3600, 21 * 3600, n).astype("timedelta64[s]")
    surveyed_at = np.concatenate(dates).astype("datetime64[s]") + office_hours
    mood = 3.95 + 0.4 * plan.quality[estate, area] + rng.normal(0, 0.8, n)
    scores = survey_scores(mood, np.zeros(n), rng)
    return {
        "survey_id": np.array(ids, dtype=object),
        "ticket_id": np.full(n, None, dtype=object),
        "estate_id": plan.estates["estate_id"][estate],
        "service_area": np.array(SERVICE_AREAS, dtype=object)[area],
        "surveyed_at": surveyed_at,
        "channel": np.array(SURVEY_CHANNELS, dtype=object)[rng.choice(4, n, p=[0.3, 0.1, 0.4, 0.2])],
        **scores,
        "comment": comments(scores["score"], 0.1, rng),
    }


# ---------------------------------------------------------------------------------------
# Writing: one transaction, the fastest bulk path of each engine
# ---------------------------------------------------------------------------------------

def _prepare_tables(db: Database, replace: bool) -> None:
    """Create missing tables; refuse to mix demo rows into existing ones unless told to replace."""
    try:
        create_schema(db.engine)
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip()
        raise DataSourceError(f"cannot create the demo tables in {db.describe()}: {reason}") from exc
    counts = {t.name: int(db.rows(sa.select(sa.func.count()).select_from(t))[0][0])
              for t in (estates_table, tickets_table, surveys_table)}
    if any(counts.values()) and not replace:
        raise DataSourceError(
            f"{db.describe()} already holds {counts['tickets']:,} tickets ({counts['estates']:,} estates, "
            f"{counts['surveys']:,} surveys); pass --replace to overwrite them with demo data")


_TIMESTAMP_TEMPLATE = np.array([ord(c) for c in "0000-00-00 00:00:00.000000"], dtype=np.uint32)
_TWO_DIGITS = np.array([[ord(c) for c in f"{i:02d}"] for i in range(100)], dtype=np.uint32)


def _timestamp_text(values: np.ndarray, fraction: bool) -> np.ndarray:
    """datetime64 -> 'YYYY-MM-DD HH:MM:SS[.000000]' text (None for NaT), built as character codes.

    SQLite gets SQLAlchemy's own storage format, so rows read back as datetimes and compare
    correctly with the bounds the queries use."""
    missing = np.isnat(values)
    seconds = np.where(missing, 0, values.astype("datetime64[s]").astype(np.int64))
    days = (seconds // 86400).astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    second_of_day = seconds % 86400
    pairs = (  # (first character, two-digit value)
        (0, year // 100), (2, year % 100),
        (5, months.astype(np.int64) % 12 + 1),
        (8, (days - months.astype("datetime64[D]")).astype(np.int64) + 1),
        (11, second_of_day // 3600), (14, second_of_day // 60 % 60), (17, second_of_day % 60),
    )
    width = 26 if fraction else 19
    codes = np.empty((len(values), width), dtype=np.uint32)
    codes[:] = _TIMESTAMP_TEMPLATE[:width]
    for first, value in pairs:
        codes[:, first:first + 2] = _TWO_DIGITS[value]
    out = codes.view(f"<U{width}").ravel().astype(object)
    out[missing] = None
    return out


class _Loader:
    """Bulk writer on one raw DBAPI connection, inside one transaction (where the engine allows)."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self.cursor = raw.cursor()

    def prepare_session(self) -> None:
        """Lift the statement time limit for the load; the connection is discarded afterwards."""

    def clear(self) -> None:
        for table in ("surveys", "tickets", "estates"):
            self.cursor.execute(f"DELETE FROM {table}")

    def rows(self, table: sa.Table, columns: dict[str, np.ndarray], fraction: bool) -> tuple[list[str], list]:
        # Columns added to the schema later that the generator knows nothing of are left to their defaults.
        names = [c.name for c in table.columns if c.name in columns]
        values = []
        for name in names:
            column = columns[name]
            if column.dtype.kind == "M":
                column = _timestamp_text(column, fraction)
            values.append(column.tolist())
        return names, values

    def write(self, table: sa.Table, columns: dict[str, np.ndarray]) -> None:
        raise NotImplementedError


class _SqliteLoader(_Loader):
    def prepare_session(self) -> None:
        connection = self.raw.driver_connection
        connection.set_progress_handler(None, 0)  # the Database's per-statement deadline
        # Demo data is reproducible, so trade crash safety for speed during the load.
        self.cursor.execute("PRAGMA synchronous = OFF")
        self.cursor.execute("PRAGMA cache_size = -262144")  # 256 MB
        self.cursor.execute("PRAGMA temp_store = MEMORY")
        if self.cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            self.cursor.execute("PRAGMA journal_mode = MEMORY")  # per connection; WAL would persist

    def write(self, table: sa.Table, columns: dict[str, np.ndarray]) -> None:
        names, values = self.rows(table, columns, fraction=True)
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        self.cursor.executemany(sql, zip(*values))


class _PostgresLoader(_Loader):
    def prepare_session(self) -> None:
        self.cursor.execute("SET statement_timeout = 0")

    def clear(self) -> None:
        self.cursor.execute("TRUNCATE surveys, tickets, estates")

    def write(self, table: sa.Table, columns: dict[str, np.ndarray]) -> None:
        names, values = self.rows(table, columns, fraction=False)
        with self.cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in zip(*values):
                copy.write_row(row)


class _MysqlLoader(_Loader):
    batch = 5_000

    def prepare_session(self) -> None:
        try:
            self.cursor.execute("SET SESSION max_statement_time = 0")  # MariaDB; MySQL limits only SELECT
        except Exception:  # noqa: BLE001 - MySQL has no such variable
            pass

    def clear(self) -> None:
        for table in ("surveys", "tickets", "estates"):
            self.cursor.execute(f"TRUNCATE TABLE {table}")

    def write(self, table: sa.Table, columns: dict[str, np.ndarray]) -> None:
        names, values = self.rows(table, columns, fraction=False)
        rows = list(zip(*values))
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"
        for i in range(0, len(rows), self.batch):  # pymysql turns each batch into multi-row INSERTs
            self.cursor.executemany(sql, rows[i:i + self.batch])


_LOADERS = {"sqlite": _SqliteLoader, "postgresql": _PostgresLoader, "mysql": _MysqlLoader}


@contextmanager
def _bulk_loader(db: Database) -> Iterator[_Loader]:
    """One raw connection and one transaction for the whole load: committed on success, rolled
    back on failure, and always discarded afterwards since its session settings were changed."""
    try:
        raw = db.engine.raw_connection()
    except sa.exc.SQLAlchemyError as exc:
        raise DataSourceError(f"cannot reach the database {db.describe()}: {getattr(exc, 'orig', exc)}") from exc
    dbapi_error = db.engine.dialect.loaded_dbapi.Error
    try:
        loader = _LOADERS[db.dialect](raw)
        loader.prepare_session()
        yield loader
        raw.commit()
    except dbapi_error as exc:
        _rollback_quietly(raw)
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataSourceError(f"could not write demo data to {db.describe()}: {message}") from exc
    except BaseException:
        _rollback_quietly(raw)
        raise
    finally:
        raw.invalidate()


def _rollback_quietly(raw) -> None:
    try:
        raw.rollback()
    except Exception:  # noqa: BLE001 - the original failure matters more
        pass
