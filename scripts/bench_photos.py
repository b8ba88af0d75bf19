"""Photo auto-fit speed (#13): a 4.6 MB phone JPEG and a noisy 8.2 MB one,
each processed as an upload is (decode reduced, one resize, at most two
encodes). Prints the median of several runs; not a test.

    .venv/bin/python scripts/bench_photos.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.declaration.uploads import process_image  # noqa: E402
from tests import images  # noqa: E402

RUNS = 7


def main() -> None:
    photos = {"phone JPEG 4032×3024": images.phone_jpeg(orientation=6),
              "noisy JPEG 4032×3024": images.noisy_jpeg(),
              "54 Mpx JPEG 9000×6000": images.huge_phone_jpeg(),
              "PNG 3300×2860": images.huge_png()}
    print(f"{'photo':<24}{'input':>10}{'output':>10}{'size':>12}{'encodes':>9}{'median s':>10}{'best s':>8}")
    for name, raw in photos.items():
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            result = process_image(raw)
            times.append(time.perf_counter() - start)
        print(f"{name:<24}{len(raw) / 1e6:>8.1f}MB{len(result.data) / 1e3:>8.0f}KB"
              f"{f'{result.width}×{result.height}':>12}{result.encodes:>9}"
              f"{statistics.median(times):>10.3f}{min(times):>8.3f}")


if __name__ == "__main__":
    main()
