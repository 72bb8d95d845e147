// Runs conformance cases through Node's mysql2: query (text protocol) or
// execute (server-side prepared statement, binary protocol) per case.
// Reads {"host", "port", "cases": [{"zone", "sql", "params", "prepared"}]}
// as JSON on stdin; writes one {"rows": [[text or null, ...]]} or
// {"error": ...} per case as a JSON list on stdout. dateStrings and
// bigNumberStrings keep values as the server's text rather than JS Dates
// (milliseconds) and doubles.
'use strict';
const fs = require('fs');
const mysql = require('mysql2/promise');

(async () => {
  const req = JSON.parse(fs.readFileSync(0, 'utf8'));
  const conn = await mysql.createConnection({
    host: req.host, port: req.port, user: 'root', database: 'logq',
    dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, rowsAsArray: true,
  });
  const out = [];
  for (const c of req.cases) {
    try {
      await conn.query('SET time_zone = ?', [c.zone]);
      const run = c.prepared ? conn.execute.bind(conn) : conn.query.bind(conn);
      const [res] = await run(c.sql, c.params || []);
      const rows = Array.isArray(res) ? res : []; // SET and the like: an OK packet
      out.push({ rows: rows.map((r) => r.map((v) => (v === null ? null : Buffer.isBuffer(v) ? v.toString() : String(v)))) });
    } catch (e) {
      out.push({ error: String(e) });
    }
  }
  await conn.end();
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
