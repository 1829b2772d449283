# json_codec: encode 40,000 records (about 3 MB of JSON), then decode the text and encode the result 5 times.
# Prints the length of the text and the sum of the ids decoded the last time.
import json
N = 40000
def record(i):
    return {"id": i, "name": 'user "' + str(i) + '"', "score": i * 0.5, "tags": ["a", "b\n", "é"], "ok": 1, "none": None}
def enc(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
text = enc([record(i) for i in range(N)])
last = []
for _ in range(5):
    last = json.loads(enc(json.loads(text)))
print(len(text.encode()), sum(r["id"] for r in last))
