# dict_str: insert 100,000 string keys ("k0" ...) into a dict, then look each up. Prints the sum.
N = 100000
d = {}
for i in range(N):
    d["k" + str(i)] = i
acc = 0
for i in range(N):
    acc += d["k" + str(i)]
print(acc)
