"""The benchmark (bench/, `make bench`) does not rot: its tiniest configuration runs end to end on SQLite
(the hub and the floor served as processes, the load generator, the tick, the statistics) and fills
every row of its table with positive numbers. What the numbers are is the benchmark's business."""

from bench.run import TINY, measure
from bench.table import rows


def test_the_tiniest_benchmark_fills_every_row(tmp_path):
    results = measure(TINY, tmp_path)
    table = rows(results)

    figures = [row.number.split(" ")[0] for row in table]
    for figure in ("1", "2", "3", "4", "5"):
        assert figure in figures, f"figure {figure} is missing from the table"
    assert [row.figure for row in table if row.number == "6"] == ["1-3 on PostgreSQL"]  # not run here
    for row in table:
        if row.number == "6":
            continue
        assert row.values, row
        assert all(value > 0 for value in row.values), row
        assert row.verdict == "" or row.verdict.startswith(("met", "NOT met")), row
    exchange = results["exchange"][("sqlite", 1)]
    for load in ("requests", "receipts"):
        for side in ("hub", "floor"):
            assert exchange[load][side]["statuses"] == {"201": TINY.load.calls}, (load, side)
    assert exchange["fanout_tasks"] == 28
