// The DuckDB peer of `abgleich reconcile` (issue 8, peer b): the same clean
// payment CSV as bench/peers/sql_match.sql (seq, end_to_end_id, reference,
// amount_cents; no header) joined with the claims CSV that `abgleich gen`
// wrote (tickets.csv: reference, plate, tbnr, amount, ...), the allocations
// written as a CSV file.  In-process, no durability: a lower bound for what
// a user would do with DuckDB, not a system of record.
//
//   node bench/peers/duckdb_match.mjs TICKETS.csv CLEAN.csv OUT.csv
// Prints {"ms": ..., "allocations": ...} on stdout.
import { DuckDBInstance } from '@duckdb/node-api';

const [tickets, clean, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: node duckdb_match.mjs TICKETS.csv CLEAN.csv OUT.csv');
  process.exit(2);
}
const q = (s) => "'" + s.replaceAll("'", "''") + "'";
const t0 = performance.now();
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
await c.run(`CREATE TABLE claims AS SELECT reference, CAST(round(amount * 100) AS BIGINT) AS amount_cents
             FROM read_csv(${q(tickets)}, header = true, columns = {'reference': 'VARCHAR',
             'plate': 'VARCHAR', 'tbnr': 'VARCHAR', 'amount': 'DECIMAL(12,2)',
             'offense_time': 'VARCHAR', 'location': 'VARCHAR'})`);
await c.run(`CREATE TABLE payments AS SELECT * FROM read_csv(${q(clean)}, header = false,
             columns = {'seq': 'INTEGER', 'end_to_end_id': 'VARCHAR', 'reference': 'VARCHAR',
             'amount_cents': 'BIGINT'})`);
await c.run(`COPY (SELECT c.reference, p.seq, least(p.amount_cents, c.amount_cents) AS amount_cents,
             'exact_reference' AS method, 'Kassenzeichen ' || c.reference AS explanation
             FROM payments p JOIN claims c ON c.reference = p.reference WHERE p.amount_cents > 0)
             TO ${q(out)} (HEADER false)`);
const n = await c.runAndReadAll(`SELECT count(*) FROM read_csv(${q(out)}, header = false)`);
const ms = Math.round(performance.now() - t0);
console.log(JSON.stringify({ ms, allocations: Number(n.getRows()[0][0]) }));
