"""The "floor": a bare Flask app that, for each benchmarked page, runs the very
SQL statements the application ran for it (captured by run.py, same count and
parameters) through the same driver and pool, and returns the same bytes. No
ORM, no templates, no sessions: what the page would cost with nothing but the
database and the network. Started by run.py under gunicorn.
"""
import os
import pickle

from flask import Flask, Response, request
from sqlalchemy import create_engine

with open(os.environ["BENCH_CAPTURE"], "rb") as fh:
    PAGES = pickle.load(fh)["captures"]  # name → (statements [(sql, params)], status, body, content type)

engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
app = Flask(__name__)


@app.route("/floor/<name>", methods=["GET", "POST"])
def page(name):
    statements, status, body, content_type = PAGES[name]
    conn = engine.raw_connection()
    try:
        cur = conn.cursor()
        for sql, params in statements:
            cur.execute(sql, params)
            if cur.description is not None:
                cur.fetchall()
        conn.rollback()  # writes are replayed, not kept
    finally:
        conn.close()
    request.get_data()
    return Response(body, status=status, content_type=content_type)
