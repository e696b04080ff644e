// mt940js_parse.js - the peer of the MT940 reader benchmark: npm's mt940js
// parses FILE (read whole, as its API requires) and prints the statements,
// transactions and milliseconds of read + parse.
//   node bench/peers/mt940js_parse.js FILE     (mt940js from NODE_PATH or ./node_modules)
const fs = require('fs');
const mt940js = require('mt940js');
const t0 = process.hrtime.bigint();
const statements = new mt940js.Parser().parse(fs.readFileSync(process.argv[2], 'utf8'));
let tx = 0;
for (const s of statements) tx += s.transactions.length;
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(JSON.stringify({statements: statements.length, transactions: tx, ms: ms}));
