"""`flask worker` for the tests, with an optional slow list export
(SLOW_EXPORT seconds before writing) so a test can kill it mid-job."""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app import create_app  # noqa: E402
from app.platform.jobs import run_worker  # noqa: E402

app = create_app()
import reports.exports as exports  # noqa: E402

_write_rows = exports.write_rows


def slow_write_rows(*args, **kwargs):
    time.sleep(float(os.environ.get("SLOW_EXPORT", "0")))
    return _write_rows(*args, **kwargs)


exports.write_rows = slow_write_rows
run_worker(app, burst=os.environ.get("BURST") == "1", schedule=False)
