#!/usr/bin/env python3
"""Runs conformance cases through PyMySQL (text protocol).

Reads {"host", "port", "cases": [{"zone", "sql", "params"}]} as JSON on
stdin; writes one {"rows": [[text or null, ...], ...]} or {"error": ...}
per case as a JSON list on stdout. Values are the text the server sent:
the decoders are dropped, the encoders kept for the parameters.
"""
import json
import sys

import pymysql
from pymysql.converters import conversions

req = json.load(sys.stdin)
encoders_only = {k: v for k, v in conversions.items() if not isinstance(k, int)}
conn = pymysql.connect(host=req["host"], port=req["port"], user="root", password="",
                       database="logq", autocommit=True, conv=encoders_only)
out = []
for case in req["cases"]:
    try:
        with conn.cursor() as cur:
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
        out.append({"error": repr(e)})
conn.close()
json.dump(out, sys.stdout)
