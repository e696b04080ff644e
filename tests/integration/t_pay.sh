#!/bin/bash
# The payment run's file as a bank takes it, and approve --iban (an audit
# of `pay` and `approve`):
#  - names and remittance texts in the SEPA character set: a creditor
#    "Café Müller & Söhne «Bäckerei»" and a text with <Kd#4711>, 50€, @, _,
#    ; and line breaks reached the bank, which refuses the whole file;
#  - approve --iban takes an IBAN as a clerk types it (spaces, lower case),
#    clears the old BIC (sql/042), and is refused for more than one invoice;
#    another login approves the new account (sql/075);
#  - pay --execution-date is never in the past and never a day TARGET2 is
#    closed; without it, the same rule applies to today;
#  - the creditor beside the IBAN is the payee an invoice names (BT-59),
#    not its seller (verification of payee, sql/046).
set -eu
. tests/integration/lib.sh
E=$FIXTURES/einvoice
export ABGLEICH_TODAY=2026-11-23 # a Monday
PAY="--account DE02120300000000202051 --name Stadtkasse"

$ABGLEICH init 2>/dev/null
psql -XAtq -d postgres -c "DO \$\$ BEGIN CREATE ROLE t_pay_kl LOGIN IN ROLE abgleich_treasury;
    EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
kl() { ABGLEICH_DB="$ABGLEICH_DB user=t_pay_kl" "$ABGLEICH" "$@"; }

# inv NUMBER SELLER REMITTANCE [DUE]: the fixture with another number,
# seller name (XML text), remittance text (BT-83) and due date.
esc() { printf '%s' "$1" | sed -e 's/[&|\\]/\\&/g'; }
inv() {
    local due=""
    [ -n "${4:-}" ] && due="<cbc:DueDate>$4</cbc:DueDate>"
    sed -e "s|<cbc:ID>123456XX</cbc:ID>|<cbc:ID>$1</cbc:ID>|" \
        -e "s|\[Seller name\]|$(esc "$2")|" \
        -e "s|<cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>|&<cbc:PaymentID>$(esc "$3")</cbc:PaymentID>|" \
        -e "s|<cbc:InvoiceTypeCode>|$due&|" \
        $E/ubl/xrts__xr30_380_basic_sepa58.xml > $TMP/$1.xml
}
xp() { xmllint --xpath "$1" "$2"; }
valid() { xmllint --noout --nonet --schema data/xsd/pain.001.001.09.xsd "$1" 2>$TMP/xsd.txt || fail "$1 not valid: $(cat $TMP/xsd.txt)"; }

# --- 1: the SEPA character set ---------------------------------------------
inv S-1 'Café Müller &amp; Söhne «Bäckerei»' '&lt;Kd#4711&gt; 50€ @ a_b; c&#10;Zeile 2&#9;Ende'
inv S-2 'MÜLLER GROß GmbH' 'Rechnung S-2'
inv S-3 '株式会社' 'Rechnung S-3'
$ABGLEICH import invoices $TMP/S-1.xml $TMP/S-2.xml $TMP/S-3.xml 2>/dev/null
# Longer than the import keeps of BT-83 (formats/einvoice.h), as a clerk's
# correction could make it (before the approval: sql/046): 89 characters,
# 169 once transliterated.
q "UPDATE abgleich.invoices SET remittance = 'Rechnung ' || repeat('ü', 80) WHERE invoice_number = 'S-2'"
kl approve S-1 S-2 S-3 2>/dev/null
$ABGLEICH pay --due-by 2026-12-31 --out $TMP/s.xml --account DE02120300000000202051 --name "Stadtkasse Köln & Co_KG" 2>$TMP/s.txt
valid $TMP/s.xml
grep -q "invoice S-3: the payee's name has no letter or digit of the SEPA character set; left out" $TMP/s.txt ||
    fail "a name without a SEPA character: $(cat $TMP/s.txt)"
s1=$(q "SELECT id FROM abgleich.invoices WHERE invoice_number = 'S-1'")
tx="//*[local-name()='CdtTrfTxInf'][.//*[local-name()='EndToEndId']='ABG-$s1']"
assert_eq "Cafe Mueller + Soehne Baeckerei" "$(xp "string($tx//*[local-name()='Cdtr']/*[local-name()='Nm'])" $TMP/s.xml)" "creditor name"
assert_eq "Kd 4711 50EUR a b c Zeile 2 Ende" "$(xp "string($tx//*[local-name()='Ustrd'])" $TMP/s.xml)" "remittance text"
assert_eq "Stadtkasse Koeln + Co KG" "$(xp "string(//*[local-name()='Dbtr']/*[local-name()='Nm'])" $TMP/s.xml)" "debtor name"
s2=$(xp "string(//*[local-name()='CdtTrfTxInf'][.//*[local-name()='Nm']='MUELLER GROSS GmbH']//*[local-name()='Ustrd'])" $TMP/s.xml)
assert_eq "Rechnung $(printf 'ue%.0s' $(seq 65))" "$s2" "umlauts transliterated before the 140 characters are counted, none halved"
# Every text of the file in the set: a-z A-Z 0-9 space / - ? : ( ) . , ' +
xp "//*[local-name()='Nm' or local-name()='Ustrd']/text()" $TMP/s.xml > $TMP/texts.txt
[ -s $TMP/texts.txt ] || fail "no texts"
! LC_ALL=C grep -n "[^-A-Za-z0-9 /?:().,'+]" $TMP/texts.txt || fail "a text outside the SEPA character set"

# --- 2: approve --iban -----------------------------------------------------
inv I-1 'Lieferant Eins' 'Rechnung I-1'
inv I-2 'Lieferant Zwei' 'Rechnung I-2'
$ABGLEICH import invoices $TMP/I-1.xml $TMP/I-2.xml 2>/dev/null
# Their transfers came back (as reconcile marks them, t_invoices.sh and
# t_invoice_rules.sh; set here with the triggers aside, since only a
# return reversed in the ledger makes an invoice returned, sql/051).
q "SET session_replication_role = replica; UPDATE abgleich.invoices SET status = 'returned', bic = 'COBADEFFXXX' WHERE invoice_number IN ('I-1', 'I-2')"
expect_exit 2 kl approve I-1 I-2 --iban DE89370400440532013000
grep -q -- "--iban names one payee's account: approve one invoice with it" $TMP/stderr || fail "one IBAN for two invoices: $(cat $TMP/stderr)"
assert_eq "returned|returned" "$(q "SELECT string_agg(status, '|') FROM abgleich.invoices WHERE invoice_number IN ('I-1', 'I-2')")" "nothing approved"
expect_exit 3 kl approve I-1 --iban "DE89 3704 0044 0532 0130 01"
grep -q "not a valid IBAN" $TMP/stderr || fail "a wrong check digit: $(cat $TMP/stderr)"
# The importer's login types the new account, another approves it (sql/075).
$ABGLEICH --lang en approve I-1 --iban "de89 3704 0044 0532 0130 00" >$TMP/i.out 2>$TMP/i.txt || fail "approve --iban: $(cat $TMP/i.txt)"
grep -q "replaced by DE89370400440532013000" $TMP/i.txt || fail "the change is logged as stored: $(cat $TMP/i.txt)"
grep -q "^invoice I-1 of Lieferant Eins: new payee IBAN DE89370400440532013000 stored (was DE79000000001234567890); NOT approved: a login other than $(q "SELECT session_user") approves it (four eyes)$" $TMP/i.out ||
    fail "--iban tells the clerk another login approves: $(cat $TMP/i.out)"
kl approve I-1 2>$TMP/i.txt || fail "approve after --iban: $(cat $TMP/i.txt)"
assert_eq "approved|DE89370400440532013000|" "$(q "SELECT status, iban, bic FROM abgleich.invoices WHERE invoice_number = 'I-1'")" \
    "the IBAN stored as the schema wants it, the old bank's BIC gone (sql/042)"
assert_eq "returned|DE79000000001234567890" "$(q "SELECT status, iban FROM abgleich.invoices WHERE invoice_number = 'I-2'")" "the other untouched"
$ABGLEICH pay --due-by 2026-12-31 --out $TMP/i.xml $PAY 2>$TMP/i.txt || fail "pay after --iban: $(cat $TMP/i.txt)"
valid $TMP/i.xml
grep -q "<IBAN>DE89370400440532013000</IBAN>" $TMP/i.xml || fail "new IBAN: $(cat $TMP/i.xml)"
! grep -q "COBADEFF" $TMP/i.xml || fail "the old BIC travelled with the new IBAN: $(cat $TMP/i.xml)"

# --- 3: the execution date ---------------------------------------------------
for n in 1 2 3 4 5 6; do inv D-$n "Lieferant $n" "Rechnung D-$n" 2026-11-0$n; done
$ABGLEICH import invoices $TMP/D-?.xml 2>/dev/null
kl approve D-1 D-2 D-3 D-4 D-5 D-6 2>/dev/null
dt() { xp "string(//*[local-name()='ReqdExctnDt']/*[local-name()='Dt'])" "$1"; }
expect_exit 2 $ABGLEICH pay --due-by 2026-11-01 --out $TMP/d0.xml $PAY --execution-date 2026-11-20
grep -q "execution date 2026-11-20 is in the past (today is 2026-11-23)" $TMP/stderr || fail "past: $(cat $TMP/stderr)"
expect_exit 2 $ABGLEICH pay --due-by 2026-11-01 --out $TMP/d0.xml $PAY --execution-date 2026-13-01
[ ! -e $TMP/d0.xml ] || fail "a refused date wrote a file"
assert_eq 6 "$(q "SELECT count(*) FROM abgleich.invoices WHERE status = 'approved' AND invoice_number LIKE 'D-%'")" "a refused date pays nothing"
$ABGLEICH pay --due-by 2026-11-01 --out $TMP/d1.xml $PAY --execution-date 2026-11-28 2>$TMP/d1.txt
assert_eq 2026-11-30 "$(dt $TMP/d1.xml)" "a Saturday becomes the Monday"
grep -q "2026-11-28 is a Saturday; TARGET2 settles on 2026-11-30" $TMP/d1.txt || fail "moved without a word: $(cat $TMP/d1.txt)"
$ABGLEICH pay --due-by 2026-11-02 --out $TMP/d2.xml $PAY --execution-date 2026-12-25 2>$TMP/d2.txt
assert_eq 2026-12-28 "$(dt $TMP/d2.xml)" "Christmas (a Friday), the 26th and a Sunday"
grep -q "2026-12-25 is a TARGET2 holiday" $TMP/d2.txt || fail "holiday: $(cat $TMP/d2.txt)"
$ABGLEICH pay --due-by 2026-11-03 --out $TMP/d3.xml $PAY --execution-date 2026-11-23 2>/dev/null
assert_eq 2026-11-23 "$(dt $TMP/d3.xml)" "today, a business day, is kept"
ABGLEICH_TODAY=2026-11-29 $ABGLEICH pay --due-by 2026-11-04 --out $TMP/d4.xml $PAY 2>$TMP/d4.txt
assert_eq 2026-11-30 "$(dt $TMP/d4.xml)" "without --execution-date: today, a Sunday, becomes the Monday"
ABGLEICH_TODAY=2027-03-26 $ABGLEICH pay --due-by 2026-11-05 --out $TMP/d5.xml $PAY 2>/dev/null
assert_eq 2027-03-30 "$(dt $TMP/d5.xml)" "Good Friday and Easter Monday 2027"
$ABGLEICH pay --due-by 2026-11-06 --out $TMP/d6.xml $PAY 2>/dev/null
assert_eq 2026-11-23 "$(dt $TMP/d6.xml)" "without --execution-date on a business day: today"
for n in 1 2 3 4 5 6; do valid $TMP/d$n.xml; done

# --- 4: the payee ------------------------------------------------------------
# An invoice naming a payee (BT-59) other than the seller, a factoring bank:
# the IBAN is the payee's, and the payer's bank checks the creditor's name
# against the account's holder (verification of payee).  Before, the seller
# was named beside the payee's IBAN.  Without a payee, the seller is paid.
inv P-1 'Lieferant Eins GmbH' 'Rechnung P-1'
sed -i 's|</cac:AccountingCustomerParty>|&<cac:PayeeParty><cac:PartyName><cbc:Name>Factoring Bank AG</cbc:Name></cac:PartyName></cac:PayeeParty>|' $TMP/P-1.xml
grep -q "Factoring Bank AG" $TMP/P-1.xml || fail "P-1 names no payee"
inv P-2 'Lieferant Zwei GmbH' 'Rechnung P-2'
$ABGLEICH import invoices $TMP/P-1.xml $TMP/P-2.xml 2>/dev/null
assert_eq "Factoring Bank AG|-" "$(q "SELECT string_agg(coalesce(payee_name, '-'), '|' ORDER BY invoice_number) FROM abgleich.invoices WHERE invoice_number IN ('P-1', 'P-2')")" \
    "the payee kept, and none where the invoice names none"
kl approve P-1 P-2 2>/dev/null
# Held after the approval, as the seller's name is (sql/046).
set +e; out=$(q "UPDATE abgleich.invoices SET payee_name = 'Jemand Anderes' WHERE invoice_number = 'P-1'" 2>&1); rc=$?; set -e
[ $rc -ne 0 ] && echo "$out" | grep -q "invoice P-1 is approved: payee_name cannot be changed" || fail "the payee of an approved invoice changed: $out"
$ABGLEICH pay --due-by 2026-12-31 --out $TMP/p.xml $PAY 2>$TMP/p.txt || fail "pay: $(cat $TMP/p.txt)"
valid $TMP/p.xml
cdtr() { xp "string(//*[local-name()='CdtTrfTxInf'][.//*[local-name()='EndToEndId']='ABG-$(q "SELECT id FROM abgleich.invoices WHERE invoice_number = '$1'")']//*[local-name()='Cdtr']/*[local-name()='Nm'])" $TMP/p.xml; }
assert_eq "Factoring Bank AG" "$(cdtr P-1)" "the payee is the creditor beside its IBAN"
assert_eq "Lieferant Zwei GmbH" "$(cdtr P-2)" "without a payee, the seller"

# --- 5: a run killed between its commit and putting its file in place ------
# It leaves its invoices in payment and its file as OUT.tmp, the only copy.
# The next run with the same --out wrote its own file over it and removed
# it: the first run's invoices stayed in payment with no file ever uploaded.
inv K-1 'Lieferant Kill' 'Rechnung K-1'
$ABGLEICH import invoices $TMP/K-1.xml 2>/dev/null
kl approve K-1 >/dev/null 2>&1
echo "RUN-1 FILE, the only copy" > $TMP/k.xml.tmp
expect_exit 3 $ABGLEICH pay --due-by 2026-12-31 --out $TMP/k.xml $PAY
grep -q "$TMP/k.xml.tmp exists: a payment run was killed after it put its invoices in payment .*rename it to $TMP/k.xml and upload it; then run pay again" $TMP/stderr ||
    fail "a left-behind .tmp: $(cat $TMP/stderr)"
assert_eq "RUN-1 FILE, the only copy" "$(cat $TMP/k.xml.tmp)" "the only copy of the killed run is kept as it was"
[ ! -e $TMP/k.xml ] || fail "a file was put in place beside the killed run's"
assert_eq "approved" "$(q "SELECT status FROM abgleich.invoices WHERE invoice_number = 'K-1'")" "nothing paid"
# Recovered as the message says: the next run pays.
mv $TMP/k.xml.tmp $TMP/k0.xml
$ABGLEICH pay --due-by 2026-12-31 --out $TMP/k.xml $PAY 2>$TMP/k.txt || fail "pay after the recovery: $(cat $TMP/k.txt)"
valid $TMP/k.xml
[ ! -e $TMP/k.xml.tmp ] || fail "the run's own .tmp is left"
assert_eq "in_payment" "$(q "SELECT status FROM abgleich.invoices WHERE invoice_number = 'K-1'")" "K-1 paid by the next run"

# --- 6: one debit per transfer, and our account as a clerk types it ----------
# Without <BtchBookg> a bank books the run as one debit of the control sum
# (batch booking is the default), which pays no single invoice: each stayed
# in payment.  An --account with spaces passed the IBAN check and was
# written as typed, so the file failed its schema check and nothing was paid.
inv B-1 'Lieferant Eins' 'Rechnung B-1'
inv B-2 'Lieferant Zwei' 'Rechnung B-2'
$ABGLEICH import invoices $TMP/B-1.xml $TMP/B-2.xml 2>/dev/null
kl approve B-1 B-2 >/dev/null 2>&1
$ABGLEICH pay --due-by 2026-12-31 --out $TMP/b.xml --account "DE02 1203 0000 0000 2020 51" --name Stadtkasse 2>$TMP/b.txt ||
    fail "an account typed with spaces: $(cat $TMP/b.txt)"
valid $TMP/b.xml
assert_eq DE02120300000000202051 "$(xp "string(//*[local-name()='DbtrAcct']//*[local-name()='IBAN'])" $TMP/b.xml)" \
    "our IBAN written as the schema wants it"
assert_eq "false" "$(xp "string(//*[local-name()='PmtInf']/*[local-name()='BtchBookg'])" $TMP/b.xml)" \
    "the file asks for a debit per transfer, which reconcile pairs with its invoice"
assert_eq "in_payment|in_payment" "$(q "SELECT string_agg(status, '|') FROM abgleich.invoices WHERE invoice_number IN ('B-1', 'B-2')")" "B-1 and B-2 paid"
