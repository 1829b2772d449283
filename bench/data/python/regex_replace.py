# regex_replace: 100,000 replacements with group references ("user7@host7" -> "host7 at user7")
# in one text, five times, with re.sub. Prints the total length of the results.
import re

text = "".join("user%d@host%d " % (i, i) for i in range(100000))
total = 0
for _ in range(5):
    total += len(re.sub(r"(\w+)@(\w+)", r"\2 at \1", text))
print(total)
