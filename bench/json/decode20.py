# decode20.py: json.loads of the same ~20 MB document as decode20.valk, timed around the call
# only, best of 3; prints "bytes microseconds ids".
import json
import time

N = 270000
def record(i):
    return {"id": i, "name": 'user "' + str(i) + '"', "score": i * 0.5 + 0.25, "tags": ["a", "b\n", "é"], "ok": 1,
            "none": None}
text = json.dumps([record(i) for i in range(N)], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
best = None
for _ in range(3):
    t0 = time.perf_counter()
    doc = json.loads(text)
    t = time.perf_counter() - t0
    best = t if best is None or t < best else best
print(len(text.encode()), int(best * 1e6), sum(r["id"] for r in doc))
