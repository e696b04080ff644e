#!/usr/bin/env python3
"""camt_iterparse.py - the peer of the CAMT reader benchmark: Python's
ElementTree iterparse (expat, C accelerated) streams FILE, counts entries
and transactions (TxDtls per Ntry, or the Ntry itself) and sums the booked
credit and debit amounts in cents, the same figures `abgleich inspect`
prints.  Prints JSON with the milliseconds of the parse.

    python3 bench/peers/camt_iterparse.py FILE
"""
import json
import sys
import time
import xml.etree.ElementTree as ET
from decimal import Decimal

t0 = time.perf_counter()
entries = tx = credit = debit = 0
for _, el in ET.iterparse(sys.argv[1]):
    if el.tag.endswith("}Ntry"):
        entries += 1
        ns = el.tag[:-4]
        tx += max(1, len(el.findall(".//" + ns + "TxDtls")))
        sts = el.find(ns + "Sts")
        code = sts.findtext(ns + "Cd") if sts is not None and len(sts) else (sts.text if sts is not None else "")
        if code == "BOOK":
            cents = int(Decimal(el.findtext(ns + "Amt")) * 100)
            if el.findtext(ns + "CdtDbtInd") == "CRDT":
                credit += cents
            else:
                debit += cents
        el.clear()
ms = (time.perf_counter() - t0) * 1000
print(json.dumps({"entries": entries, "transactions": tx, "credit_cents": credit,
                  "debit_cents": debit, "ms": ms}))
