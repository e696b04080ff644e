#!/usr/bin/env python3
"""gen_mt940.py - a large German MT940 file for the reader benchmark.

    python3 bench/gen_mt940.py OUT [MEGABYTES]     (default 40)

Sparkasse/FinTS style: CRLF, statements of 400 entries (':20:STARTUMS',
':28C:' numbered), SEPA credits and debits with a structured ':86:' (GVC,
?00 booking text, ?10 primanota, ?20-?29 with EREF+/KREF+/SVWZ+/ABWA+, ?30
BIC, ?31 IBAN, ?32/?33 name, ?34 key) hard-wrapped at 65 characters, so
subfield markers and SEPA keywords are split across lines as banks send
them.  Every statement closes: opening + credits - debits = closing.
Deterministic (a fixed linear congruential generator), no dependencies.
"""
import sys

NAMES = ["Anna Schmidt", "Bernd Müller", "Carla Weiß", "Dieter Groß", "Emil Öztürk",
         "Frieda Jäger", "Günter Vogel", "Hanna Krüger"]
PER_STATEMENT = 400


class Lcg:
    def __init__(self, seed):
        self.x = seed

    def next(self, n):
        self.x = (self.x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return (self.x >> 33) % n


def check_digit_ref(n):
    """A 12-digit Kassenzeichen: 11 digits plus a mod-11 digit (weights 2..7)."""
    body = "4%010d" % n
    s = sum(int(c) * (2 + i % 6) for i, c in enumerate(reversed(body)))
    return body + str((11 - s % 11) % 10)


def eur(cents):
    return "%d,%02d" % (cents // 100, cents % 100)


def wrap86(text):
    out = []
    while text:
        out.append(text[:65])
        text = text[65:]
    return "\r\n".join(out)


def entry(rng, i, day):
    credit = rng.next(10) < 8
    cents = 500 + rng.next(50000)
    name = NAMES[rng.next(len(NAMES))]
    ref = check_digit_ref(rng.next(10000000))
    iban = "DE%02d370502990%09d" % (10 + rng.next(89), rng.next(10 ** 9))
    gvc = "166" if credit else "105"
    svwz = "SVWZ+Kassenzeichen %s Bussgeld Tatzeit %02d.11.2026 um 10:%02d:%02d Uhr" % (
        ref, 1 + rng.next(28), rng.next(60), rng.next(60))
    sepa = "EREF+E2E-%08d KREF+K%07d %s ABWA+%s" % (i, i, svwz, name)
    subs = "".join("?%d%s" % (20 + k, sepa[k * 27:(k + 1) * 27])
                   for k in range((len(sepa) + 26) // 27) if k < 10)
    text = "%s?00%s?109310%s?30COLSDE33XXX?31%s?32%s?34997" % (
        gvc, "SEPA-GUTSCHRIFT" if credit else "SEPA-LASTSCHRIFT", subs, iban, name[:27])
    line61 = ":61:2611%02d11%02d%sR%sNTRFNONREF//%010d" % (day, day, "C" if credit else "D",
                                                         eur(cents), i)
    return (cents if credit else -cents), line61 + "\r\n:86:" + wrap86(text) + "\r\n"


def main():
    out = sys.argv[1]
    target = int(sys.argv[2] if len(sys.argv) > 2 else 40) * 1024 * 1024
    rng = Lcg(20261120)
    balance = 100000000
    size, stmt, i = 0, 0, 0
    with open(out, "w", encoding="utf-8", newline="") as f:
        while size < target:
            stmt += 1
            day = 1 + stmt % 28
            parts = [":20:STARTUMS\r\n:25:37050299/0001234567\r\n:28C:%05d/001\r\n" % stmt,
                     ":60F:C2611%02dEUR%s\r\n" % (day, eur(balance))]
            for _ in range(PER_STATEMENT):
                i += 1
                delta, text = entry(rng, i, day)
                balance += delta
                parts.append(text)
            parts.append(":62F:C2611%02dEUR%s\r\n-\r\n" % (day, eur(balance)))
            chunk = "".join(parts)
            f.write(chunk)
            size += len(chunk.encode("utf-8"))
    print("%s: %d bytes, %d statements, %d transactions" % (out, size, stmt, i))


if __name__ == "__main__":
    main()
