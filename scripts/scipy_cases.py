"""Deterministic reference cases for Assay's drift statistics, computed with scipy and numpy.

Samples are integers (value = integer / SCALE) so both sides build bit-identical doubles.
Usage: python scripts/scipy_cases.py OUT.json
"""
import json
import sys

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance

SCALE = 1000.0
rng = np.random.default_rng(20240601)


def sample(n, loc=0.0, scale=1.0, kind="normal"):
    if kind == "normal":
        x = rng.normal(loc, scale, n)
    elif kind == "exp":
        x = rng.exponential(scale, n) + loc
    else:
        x = rng.integers(0, int(scale), n).astype(float) + loc
    return np.round(x * SCALE).astype(np.int64)


def fl(ints):
    return ints.astype(np.float64) / SCALE


def sturges_shares(ref, cur):
    edges = np.histogram_bin_edges(list(ref) + list(cur), bins="sturges")
    r = np.histogram(ref, edges)[0] / len(ref)
    c = np.histogram(cur, edges)[0] / len(cur)
    return r, c


def category_shares(ref, cur):
    keys = sorted(set(ref) | set(cur))
    r = np.array([np.sum(ref == k) for k in keys]) / len(ref)
    c = np.array([np.sum(cur == k) for k in keys]) / len(cur)
    return r, c


def zero_fill(x):
    x = x.copy()
    m = np.min(x[x != 0])
    x[x == 0] = m / 1e6 if m <= 0.0001 else 0.0001
    return x


cases = {"scipy": scipy.__version__, "numpy": np.__version__, "scale": SCALE, "ks": [], "kstwo": [],
         "dist": [], "chisquare": [], "ztest": []}

ks_pairs = [
    (20, 30, 0.0, 1.0, "normal"), (50, 50, 0.3, 1.0, "normal"), (100, 80, 0.0, 1.2, "normal"),
    (500, 700, 0.1, 1.0, "normal"), (1000, 1000, 0.05, 1.0, "normal"), (40, 60, 0.0, 10, "int"),
    (3000, 5000, 0.02, 1.0, "exp"), (10000, 9000, 0.03, 1.0, "normal"), (7, 5000, 0.5, 1.0, "normal"),
    (12000, 15000, 0.03, 1.0, "normal"), (20000, 500, 0.1, 1.0, "normal"), (11000, 11000, 0.0, 1.0, "normal"),
    (10001, 60, 0.2, 1.0, "normal"), (15000, 130, 0.0, 1.0, "exp"), (30000, 25000, 0.01, 1.0, "normal"),
    (50000, 40000, 0.2, 1.0, "normal"), (12000, 3000, 0.0, 20, "int"),
]
for n1, n2, shift, scale, kind in ks_pairs:
    a = sample(n1, 0.0, scale, kind)
    b = sample(n2, shift, scale, kind)
    r = stats.ks_2samp(fl(a), fl(b))
    cases["ks"].append({"a": a.tolist(), "b": b.tolist(), "statistic": float(r.statistic),
                        "pvalue": float(r.pvalue),
                        "method": "exact" if max(n1, n2) <= 10000 else "asymp"})

for n in [3, 10, 50, 140, 141, 500, 2000, 5000, 20000, 100001, 400000]:
    for x in [0.002, 0.004, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2, 0.3, 0.45, 0.6, 0.9]:
        p = float(stats.kstwo.sf(x, n))
        if p > 1e-280:
            cases["kstwo"].append({"n": n, "x": x, "sf": p})

dist_pairs = [
    (800, 900, 0.0, 1.0, "normal"), (2000, 1500, 0.3, 1.0, "normal"), (5000, 5000, 0.05, 1.0, "exp"),
    (1200, 1100, 0.0, 4, "int"), (3000, 2000, 1.0, 8, "int"), (400, 600, 0.0, 30, "int"),
]
for n1, n2, shift, scale, kind in dist_pairs:
    a = sample(n1, 0.0, scale, kind)
    b = sample(n2, shift, scale, kind)
    ra, rb = fl(a), fl(b)
    if len(np.unique(ra)) > 20:  # Evidently: numerical with more than 20 reference values
        r, c = sturges_shares(ra, rb)
        binning = "sturges"
    else:
        r, c = category_shares(ra, rb)
        binning = "categories"
    rf, cf = zero_fill(r), zero_fill(c)
    cases["dist"].append({
        "a": a.tolist(), "b": b.tolist(), "binning": binning,
        "wasserstein": float(stats.wasserstein_distance(ra, rb)),
        "wasserstein_norm": float(stats.wasserstein_distance(ra, rb) / max(np.std(ra), 0.001)),
        "jensenshannon": float(distance.jensenshannon(r, c)),
        "psi": float(np.sum((rf - cf) * np.log(rf / cf))),
        "kl": float(stats.entropy(rf, cf)),
    })

for k, n_ref, n_cur, shift in [(3, 500, 400, 0.0), (5, 800, 900, 0.05), (8, 300, 200, 0.1), (4, 1000, 1000, 0.0)]:
    p = rng.dirichlet(np.ones(k) * 5)
    q = np.clip(p + rng.normal(0, shift, k), 0.01, None)
    q = q / q.sum()
    ref = rng.multinomial(n_ref, p)
    cur = rng.multinomial(n_cur, q)
    exp = ref * (n_cur / n_ref)
    r = stats.chisquare(cur, exp)
    cases["chisquare"].append({"obs": cur.tolist(), "ref": ref.tolist(), "n_ref": n_ref, "n_cur": n_cur,
                               "statistic": float(r.statistic), "pvalue": float(r.pvalue)})

for n1, p1, n2, p2 in [(500, 0.3, 600, 0.33), (900, 0.5, 800, 0.45), (200, 0.1, 300, 0.2), (1000, 0.02, 1000, 0.03)]:
    o1 = int(rng.binomial(n1, p1))
    o2 = int(rng.binomial(n2, p2))
    a, b = o1 / n1, o2 / n2
    pp = (a * n1 + b * n2) / (n1 + n2)
    z = (a - b) / np.sqrt(pp * (1 - pp) * (1 / n1 + 1 / n2))
    cases["ztest"].append({"ones_ref": o1, "n_ref": n1, "ones_cur": o2, "n_cur": n2,
                           "pvalue": float(2 * (1 - stats.norm.cdf(abs(z))))})

with open(sys.argv[1], "w") as f:
    json.dump(cases, f)
