"""Import speed: a generated Chinese tickets CSV (default 100,000 rows) into a fresh database.

    .venv/bin/python bench/import_speed.py [--rows N] [--db URL] [--encoding gb18030]

Prints rows per second for reading + validating + writing (one transaction), schema
migration excluded (it runs once per database).
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from chinese_exports import CHINESE_MAPPING, ESTATE_HEADERS, TICKET_HEADERS, write_csv

from data_access import Database
from data_access.importer import import_files, prepare_target
from data_access.mapping import load_mapping


def tickets(n: int, seed: int = 1) -> list[list[str]]:
    rng = random.Random(seed)
    start = dt.datetime(2025, 1, 1)
    rows = []
    for i in range(n):
        created = start + dt.timedelta(seconds=rng.randrange(365 * 86400))
        reply = created + dt.timedelta(minutes=rng.randrange(1, 90))
        resolved = created + dt.timedelta(hours=rng.randrange(1, 200)) if rng.random() < 0.8 else None
        rows.append([
            f"GD{i:08d}", f"E{rng.randrange(1, 61):02d}", f"{created:%Y-%m-%d %H:%M:%S}", rng.choice(["工程维修", "保安", "保洁", "绿化", "其他"]),
            rng.choice(["报修", "投诉", "咨询", "建议", "表扬"]), rng.choice(["电话", "前台", "APP", "微信"]), rng.choice(["紧急", "一般"]),
            rng.choice(["", "一般", "重要", "重大"]), rng.choice(["待处理", "处理中", "已解决", "已关闭"]), f"{reply:%Y-%m-%d %H:%M:%S}",
            f"{resolved:%Y-%m-%d %H:%M:%S}" if resolved else "", rng.choice(["无", "无", "主管", "管理处主任"]), "张三", "13800000000",
            f"{rng.randrange(1, 30)}-{rng.randrange(1, 5)}-{rng.randrange(101, 2800)}", "厨房漏水，请尽快处理",
        ])
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db")
    parser.add_argument("--encoding", default="utf-8")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="import-bench-"))
    estates = write_csv(folder / "estates.csv", ESTATE_HEADERS, [[f"E{i:02d}", f"项目{i}", "上海", "华东", "1000"] for i in range(1, 61)])
    data = write_csv(folder / "tickets.csv", TICKET_HEADERS, tickets(args.rows), encoding=args.encoding)
    db = Database(args.db or f"sqlite:///{folder / 'bench.sqlite'}", statement_timeout=600)
    mapping = load_mapping(CHINESE_MAPPING)
    import_files(db, [estates], mapping=mapping)
    prepare_target(db)
    started, cpu = time.perf_counter(), time.process_time()
    result = import_files(db, [data], mapping=mapping, rejects_path=folder / "rejects.csv")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    size = data.stat().st_size / 1e6
    print(f"{db.dialect}: {result.read:,} rows ({size:.0f} MB, {args.encoding}) read = loaded {result.loaded:,} + rejected "
          f"{result.rejected:,} in {seconds:.1f} s ({cpu:.1f} s CPU in this process): {result.read / seconds:,.0f} rows/s")
    # Again: every id already there, so this measures the update path (delete, then insert).
    started, cpu = time.perf_counter(), time.process_time()
    import_files(db, [data], mapping=mapping, rejects_path=folder / "rejects.csv")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{db.dialect}: re-import of the same {result.read:,} rows (updates) in {seconds:.1f} s ({cpu:.1f} s CPU): "
          f"{result.read / seconds:,.0f} rows/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
