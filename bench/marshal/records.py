# records.py: pickle dumps + loads of the same 380,000 records as records.valk, timed around the
# two calls only (best of 3); prints "bytes microseconds".
import pickle
import time

n = 380000
records = [[i, str(i), i * 1.5, "tag"] for i in range(n)]
best = None
for _ in range(3):
    t0 = time.perf_counter()
    b = pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL)
    r = pickle.loads(b)
    t = time.perf_counter() - t0
    assert len(r) == n
    best = t if best is None or t < best else best
print(len(b), int(best * 1e6))
