"""Deterministic inputs for bench/data.sh.

  python bench/data_gen.py drift DIR ROWS      -> DIR/ref.csv, DIR/cur.csv (16 numerical + 4 categorical columns)
  python bench/data_gen.py pii DIR LINES       -> DIR/corpus.csv (id,note) and DIR/labels.json (line -> entity)
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


def pii(out, lines):
    r = random.Random(11)
    names = ["ava", "ben", "chloe", "dev", "ella", "finn", "grace", "hugo", "isla", "jack", "kofi", "lena"]
    words = ("the customer asked about a refund for the order placed last week and wants an update on "
             "delivery status please check the account history before replying").split()
    labels = {}
    with open(f"{out}/corpus.csv", "w") as f:
        f.write("id,note\n")
        for i in range(lines):
            line_no = i + 2
            filler = " ".join(r.choice(words) for _ in range(r.randint(6, 14)))
            kind = r.random()
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
            note = f"{filler} {val} {r.choice(words)}" if val else filler
            f.write(f"{i},{note}\n")
            if ent:
                labels[line_no] = ent
    with open(f"{out}/labels.json", "w") as f:
        json.dump({"lines": lines + 1, "labels": labels}, f)


if __name__ == "__main__":
    {"drift": lambda: drift(sys.argv[2], int(sys.argv[3])), "pii": lambda: pii(sys.argv[2], int(sys.argv[3]))}[sys.argv[1]]()
