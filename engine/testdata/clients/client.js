// Runs conformance cases through Node's mysql2: query (text protocol) or
// execute (server-side prepared statement, binary protocol) per case.
// Reads {"host", "port", "cases": [{"zone", "sql", "params", "prepared"}]}
// as JSON on stdin, with optional "user" (default root), "password" and
// "ca" (a PEM file: connect over TLS and verify the server against it);
// writes one {"rows": [[text or null, ...]]} or {"error": ...} per case as
// a JSON list on stdout, or [{"connect_error", "errno"}] if it cannot
// connect. dateStrings and
// bigNumberStrings keep values as the server's text rather than JS Dates
// (milliseconds) and doubles.
'use strict';
const fs = require('fs');
const mysql = require('mysql2/promise');

(async () => {
  const req = JSON.parse(fs.readFileSync(0, 'utf8'));
  let conn;
  try {
    conn = await mysql.createConnection({
      host: req.host, port: req.port, user: req.user || 'root', password: req.password || '', database: 'logq',
      dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, rowsAsArray: true,
      ssl: req.ca ? { ca: fs.readFileSync(req.ca) } : undefined,
    });
  } catch (e) {
    process.stdout.write(JSON.stringify([{ connect_error: String(e), errno: e.errno || 0 }]));
    return;
  }
  const out = [];
  for (const c of req.cases) {
    try {
      if (c.zone) await conn.query('SET time_zone = ?', [c.zone]);
      const run = c.prepared ? conn.execute.bind(conn) : conn.query.bind(conn);
      const [res] = await run(c.sql, c.params || []);
      const rows = Array.isArray(res) ? res : []; // SET and the like: an OK packet
      out.push({ rows: rows.map((r) => r.map((v) => (v === null ? null : Buffer.isBuffer(v) ? v.toString() : String(v)))) });
    } catch (e) {
      out.push({ error: String(e), errno: e.errno || 0 });
    }
  }
  await conn.end();
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
