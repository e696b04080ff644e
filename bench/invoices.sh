#!/bin/sh
# Invoice import throughput (issue 6): `abgleich import invoices` of the XML
# and the PDF samples, each copied N times with a changed invoice number (so
# every copy is a new invoice, not a duplicate), beside `xmllint --noout`
# over the same XML files in the same run (a parser doing far less: no
# rules, no database), and `xmllint --schema` of the CII copies against
# the Factur-X schema abgleich validates them with.  Figures go to
# docs/benchmarks.md by hand.  ABGLEICH names another binary to measure
# (an older build, for the cost of a change).
#
#   [ABGLEICH=path] sh bench/invoices.sh [COPIES]      (default 200)
set -eu
cd "$(dirname "$0")/.."
N=${1:-200}
A=$(realpath "${ABGLEICH:-bin/abgleich}")
W=$(mktemp -d /tmp/abgleich-invoices.XXXXXX)
chmod 755 "$W"
trap '"$A" pg stop --dir "$W/pg" >/dev/null 2>&1; rm -rf "$W"' EXIT
ms() { date +%s%N | cut -c1-13; }
export ABGLEICH_DB="$("$A" pg start --dir "$W/pg")"
"$A" init >/dev/null 2>&1
mkdir -p "$W/xml" "$W/pdf"
i=0
while [ $i -lt "$N" ]; do
    for f in tests/fixtures/einvoice/ubl/xrts__xr30_380_basic_sepa58.xml \
             tests/fixtures/einvoice/cii/xrts__xr30_rounding_amount_bt114.xml \
             tests/fixtures/einvoice/ubl/csharp__xr30_creditnote_381_three_vat_rates.xml; do
        b=$(basename "$f" .xml)
        sed "s#>123456XX<#>B$i-123456XX<#; s#>1234567890<#>B$i-1234567890<#" "$f" > "$W/xml/$b-$i.xml"
    done
    for f in tests/fixtures/einvoice/pdf/*.pdf; do cp "$f" "$W/pdf/$(basename "$f" .pdf)-$i.pdf"; done
    i=$((i + 1))
done
nx=$(ls "$W/xml" | wc -l); np=$(ls "$W/pdf" | wc -l)
t0=$(ms); find "$W/xml" -name '*.xml' -exec xmllint --noout {} + ; t1=$(ms); peer=$((t1 - t0))
X=data/xsd/facturx-1.07.3/Factur-X_1.07.3_EXTENDED.xsd
t0=$(ms); xmllint --noout --nonet --schema $X "$W"/xml/xrts__xr30_rounding_amount_bt114-*.xml 2>/dev/null; t1=$(ms); xsd=$((t1 - t0))
t0=$(ms); "$A" --quiet import invoices "$W"/xml/*.xml >/dev/null 2>&1 || true; t1=$(ms); xml=$((t1 - t0))
t0=$(ms); "$A" --quiet import invoices "$W"/pdf/*.pdf >/dev/null 2>&1 || true; t1=$(ms); pdf=$((t1 - t0))
echo "xmllint --noout of $nx XML invoices: $peer ms ($((nx * 1000 / (peer + 1))) files/s)"
echo "xmllint --schema (Factur-X EXTENDED) of the $N CII copies: $xsd ms"
echo "import invoices, $nx XML: $xml ms ($((nx * 1000 / (xml + 1))) invoices/s), ratio to xmllint $(awk "BEGIN{printf \"%.2f\", $xml / $peer}")"
echo "import invoices, $np PDF (identical copies: each is read, extracted, parsed and checked, then found imported by its hash): $pdf ms ($((np * 1000 / (pdf + 1))) documents/s)"
psql -XAtq -d "$ABGLEICH_DB" -c "SELECT outcome, count(*) FROM abgleich.invoice_documents GROUP BY 1 ORDER BY 1" 2>/dev/null || true
