"""Deterministic inputs for bench/data.sh.

  python bench/data_gen.py drift DIR ROWS      -> DIR/ref.csv, DIR/cur.csv (16 numerical + 4 categorical columns)
  python bench/data_gen.py pii DIR LINES       -> DIR/corpus.csv (id,note) and DIR/labels.json (line -> entity),
                                                  DIR/corpus.jsonl and DIR/labels-jsonl.json (the same notes)
  python bench/data_gen.py sparse DIR LINES    -> DIR/sparse.log (prose and log lines, ~0.5 % with an entity)
                                                  and DIR/labels-sparse.json
"""
import hashlib
import json
import random
import sys

import numpy as np


def drift(out, rows):
    rng = np.random.default_rng(7)
    for name, shift in (("ref", 0.0), ("cur", 1.0)):
        cols = {}
        for j in range(16):
            loc = 10.0 * j + (shift * 0.3 if j % 4 == 0 else 0.0)
            cols[f"num{j:02d}"] = np.round(rng.normal(loc, 1.0 + j % 3, rows), 4)
        for j in range(4):
            k = 5 + j
            p = np.ones(k) / k
            if shift and j == 0:
                p = np.linspace(1, 2, k)
                p = p / p.sum()
            cols[f"cat{j}"] = rng.choice([f"c{i}" for i in range(k)], rows, p=p)
        names = list(cols)
        with open(f"{out}/{name}.csv", "w") as f:
            f.write(",".join(names) + "\n")
            block = 100_000
            for s in range(0, rows, block):
                e = min(rows, s + block)
                parts = [cols[n][s:e].astype(str) for n in names]
                f.write("\n".join(",".join(t) for t in zip(*parts)) + "\n")


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58check(payload):
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(raw, "big")
    s = ""
    while n:
        n, r = divmod(n, 58)
        s = B58[r] + s
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + s


def luhn_complete(prefix, length, r):
    digits = prefix + "".join(str(r.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    for d in "0123456789":
        cand = digits + d
        tot = 0
        for i, c in enumerate(reversed(cand)):
            v = int(c)
            if i % 2:
                v *= 2
                v -= 9 if v > 9 else 0
            tot += v
        if tot % 10 == 0:
            return cand
    return None


def iban(country, bban):
    rearr = bban + country + "00"
    num = int("".join(str(int(c, 36)) for c in rearr))
    return f"{country}{98 - num % 97:02d}{bban}"


NAMES = ["ava", "ben", "chloe", "dev", "ella", "finn", "grace", "hugo", "isla", "jack", "kofi", "lena"]


def planted(r, kind):
    """An (entity, value) pair for a uniform draw `kind`: below 0.46 a validated entity, below 0.56 a
    look-alike distractor (entity None), else (None, None)."""
    names = NAMES
    ent, val = None, None
    if kind < 0.08:
        ent, val = "EMAIL_ADDRESS", f"{r.choice(names)}.{r.choice(names)}{r.randint(1, 999)}@{r.choice(['example.com', 'mail.example.org', 'corp.example.net'])}"
    elif kind < 0.16:
        ent = "PHONE_NUMBER"
        val = r.choice([
            f"+44 20 7946 {r.randint(0, 999):04d}",
            f"+1 212 {r.randint(200, 999)} {r.randint(0, 9999):04d}",
            f"({r.choice([212, 415, 646, 312])}) {r.randint(200, 999)}-{r.randint(0, 9999):04d}",
        ])
    elif kind < 0.24:
        ent = "CREDIT_CARD"
        c = luhn_complete(r.choice(["4", "51", "55", "6011"]), 16, r)
        val = " ".join(c[k:k + 4] for k in range(0, 16, 4)) if r.random() < 0.5 else c
    elif kind < 0.30:
        ent = "IBAN_CODE"
        if r.random() < 0.5:
            val = iban("DE", "".join(str(r.randint(0, 9)) for _ in range(18)))
        else:
            val = iban("GB", "WEST" + "".join(str(r.randint(0, 9)) for _ in range(14)))
    elif kind < 0.36:
        ent = "US_SSN"
        val = f"{r.randint(1, 665):03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"
    elif kind < 0.42:
        ent = "IP_ADDRESS"
        val = ".".join(str(r.randint(1, 254)) for _ in range(4))
    elif kind < 0.46:
        ent = "CRYPTO"
        val = b58check(b"\0" + bytes(r.randint(0, 255) for _ in range(20)))
    elif kind < 0.56:
        # Distractors: look like entities but are not.
        val = r.choice([
            (lambda c: c[:-1] + str((int(c[-1]) + 1) % 10))(luhn_complete("4", 16, r)),
            f"order {r.randint(10000, 99999)} on 2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            f"total {r.randint(1, 999)}.{r.randint(0, 99):02d} at {r.randint(0, 23):02d}:{r.randint(0, 59):02d}",
            f"ref {r.randint(100, 999)}-{r.randint(10, 99)}",
        ])
    return ent, val


def pii(out, lines):
    """Dense corpus: 46 % of lines carry one validated entity, 10 % a distractor. The same notes are also
    written as JSONL ({"id": N, "note": "..."}, one object a line, no header) with their own labels."""
    r = random.Random(11)
    words = ("the customer asked about a refund for the order placed last week and wants an update on "
             "delivery status please check the account history before replying").split()
    labels, jlabels = {}, {}
    with open(f"{out}/corpus.csv", "w") as f, open(f"{out}/corpus.jsonl", "w") as j:
        f.write("id,note\n")
        for i in range(lines):
            filler = " ".join(r.choice(words) for _ in range(r.randint(6, 14)))
            ent, val = planted(r, r.random())
            note = f"{filler} {val} {r.choice(words)}" if val else filler
            f.write(f"{i},{note}\n")
            j.write(json.dumps({"id": i, "note": note}) + "\n")
            if ent:
                labels[i + 2] = ent
                jlabels[i + 1] = ent
    with open(f"{out}/labels.json", "w") as f:
        json.dump({"lines": lines + 1, "labels": labels}, f)
    with open(f"{out}/labels-jsonl.json", "w") as f:
        json.dump({"lines": lines, "labels": jlabels}, f)


def sparse(out, lines):
    """Sparse text: prose sentences and application log lines (timestamps, levels, paths, durations),
    with a validated entity on about 0.5 % of lines -> DIR/sparse.log and DIR/labels-sparse.json."""
    r = random.Random(23)
    prose = ("The model was retrained on the new snapshot and the evaluation report shows a small gain in "
             "recall while precision stayed flat. Reviewers asked for the fairness slices to be rerun before "
             "the release, and the change was approved by the risk committee on Tuesday.").split()
    paths = ["/api/v1/items", "/api/v1/orders", "/healthz", "/api/v2/search", "/static/app.js"]
    levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
    labels = {}
    with open(f"{out}/sparse.log", "w") as f:
        for i in range(lines):
            if r.random() < 0.5:
                k = r.randint(0, len(prose) - 12)
                text = " ".join(prose[k:k + r.randint(8, 12)])
            else:
                text = (f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:"
                        f"{r.randint(0, 59):02d}:{r.randint(0, 59):02d}Z {r.choice(levels)} request served "
                        f"path={r.choice(paths)} status={r.choice([200, 200, 200, 304, 404, 500])} "
                        f"dur_ms={r.randint(1, 900)}")
            ent, val = planted(r, r.random() * 0.46) if r.random() < 0.005 else (None, None)
            if val:
                text = f"{text} {val}"
                labels[i + 1] = ent
            f.write(text + "\n")
    with open(f"{out}/labels-sparse.json", "w") as f:
        json.dump({"lines": lines, "labels": labels}, f)


if __name__ == "__main__":
    {
        "drift": lambda: drift(sys.argv[2], int(sys.argv[3])),
        "pii": lambda: pii(sys.argv[2], int(sys.argv[3])),
        "sparse": lambda: sparse(sys.argv[2], int(sys.argv[3])),
    }[sys.argv[1]]()
