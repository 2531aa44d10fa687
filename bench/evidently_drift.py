"""Time Evidently's DataDriftPreset on DIR/ref.csv vs DIR/cur.csv; print JSON with timings and chosen tests."""
import json
import sys
import time

import pandas as pd

t0 = time.perf_counter()
ref = pd.read_csv(f"{sys.argv[1]}/ref.csv")
cur = pd.read_csv(f"{sys.argv[1]}/cur.csv")
t1 = time.perf_counter()
from evidently import Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402

report = Report([DataDriftPreset()])
snap = report.run(cur, ref)
t2 = time.perf_counter()
methods = {}
try:
    d = snap.dict()
    for m in d.get("metrics", []):
        name = str(m.get("metric_name", m.get("metric_id", "")))
        if "ValueDrift" in name:
            methods[name] = m.get("value")
except Exception as e:  # the snapshot layout differs between releases; timings are what matter
    methods = {"error": str(e)}
print(json.dumps({"read_s": t1 - t0, "drift_s": t2 - t1, "total_s": t2 - t0, "methods": methods}))
