#!/usr/bin/env python3
"""Runs conformance cases through PyMySQL (text protocol).

Reads {"host", "port", "cases": [{"zone", "sql", "params"}]} as JSON on
stdin, with optional "user" (default root), "password" and "ca" (a PEM
file: connect over TLS and verify the server against it); writes one
{"rows": [[text or null, ...], ...]} or {"error": ..., "errno": ...} per
case as a JSON list on stdout, or [{"connect_error", "errno"}] if it
cannot connect. Values are the text the server sent:
the decoders are dropped, the encoders kept for the parameters.
"""
import json
import sys

import pymysql
from pymysql.converters import conversions

req = json.load(sys.stdin)
encoders_only = {k: v for k, v in conversions.items() if not isinstance(k, int)}
try:
    conn = pymysql.connect(host=req["host"], port=req["port"], user=req.get("user", "root"),
                           password=req.get("password", ""), database="logq", autocommit=True,
                           conv=encoders_only, ssl={"ca": req["ca"]} if req.get("ca") else None)
except pymysql.err.MySQLError as e:
    json.dump([{"connect_error": repr(e), "errno": e.args[0] if e.args else 0}], sys.stdout)
    sys.exit(0)
out = []
for case in req["cases"]:
    try:
        with conn.cursor() as cur:
            if case.get("zone"):
                cur.execute("SET time_zone = %s", (case["zone"],))
            sql, params = case["sql"], case.get("params")
            if params:
                # PyMySQL's placeholders are %s, and a literal % is %%.
                sql = sql.replace("%", "%%").replace("?", "%s")
            cur.execute(sql, params or None)
            rows = [[None if v is None else (v.decode() if isinstance(v, bytes) else str(v)) for v in row]
                    for row in cur.fetchall()]
        out.append({"rows": rows})
    except Exception as e:  # reported per case, compared by the Go test
        out.append({"error": repr(e), "errno": e.args[0] if e.args and isinstance(e.args[0], int) else 0})
conn.close()
json.dump(out, sys.stdout)
