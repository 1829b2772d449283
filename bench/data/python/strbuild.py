# strbuild: a string built from 200,000 pieces (the decimal forms of 0 ... 199,999) with a list and
# "".join, ten times. Prints the total length.
def build(n):
    parts = []
    for i in range(n):
        parts.append(str(i))
    return "".join(parts)

total = 0
for _ in range(10):
    total += len(build(200000))
print(total)
