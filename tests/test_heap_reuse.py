"""Freed memory kept for reuse during array work (annotator.heap_reuse): inside, large temporary
arrays reuse the pages of the ones freed before them instead of faulting fresh pages; after the
outermost use, the memory goes back to the system. Measured in a separate process (the setting
is process-wide) by its page faults and resident size, which do not depend on the machine's speed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from annotator import heap_reuse

pytestmark = pytest.mark.skipif(heap_reuse._glibc() is None, reason="glibc's malloc only")

PROBE = textwrap.dedent("""
    import json, resource
    import numpy as np
    from annotator.heap_reuse import active, kept_heap

    def faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    def rss_mb():
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * 4096 / 2**20

    def rounds(n=4, size=3 << 20, count=3):  # each round: arrays written, then freed (as a chunk's temporaries)
        counts = []
        for _ in range(n):
            before = faults()
            arrays = [np.ones(size, dtype=np.int64) for _ in range(count)]
            del arrays
            counts.append(faults() - before)
        return counts

    out = {"plain": rounds(), "plain_small": rounds(4, size=1 << 17, count=50)}
    with kept_heap():
        with kept_heap():  # nested: the outer one decides
            pass
        out["nested_still_active"] = active()
        out["kept"] = rounds()
        out["rss_inside_mb"] = rss_mb()
    out["active_after"] = active()
    out["rss_after_mb"] = rss_mb()
    out["after_small"] = rounds(4, size=1 << 17, count=50)  # 50 blocks of 1 MB: reused after the use too
    print(json.dumps(out))
""")

def test_freed_arrays_are_reused_inside_and_memory_given_back_after():
    found = json.loads(subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                                      check=True).stdout)
    assert found["nested_still_active"] and not found["active_after"]
    # kept: the first round faults its pages in, the next ones reuse them; glibc's own way faults
    # 24 MB blocks in every round (fewer faults with transparent huge pages, not none)
    reused = max(found["kept"][1:])
    assert found["kept"][0] > 50 and min(found["plain"]) > 10 * reused + 50, found
    assert found["rss_inside_mb"] - found["rss_after_mb"] > 50, ("the kept pages went back to the system", found)
    # after the use, large blocks still come from the heap: freed ones are reused, as glibc's own
    # adaptation does for them (a found mistake: setting its starting thresholds back made every
    # block over 128 KB fresh pages for the rest of the process)
    assert max(found["after_small"][1:]) < 50, found
