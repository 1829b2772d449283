# dict_int: insert 1,000,000 integer keys into a dict, then look each up. Prints the sum.
N = 1000000
d = {}
for i in range(N):
    d[i] = 2 * i
acc = 0
for i in range(N):
    acc += d[i]
print(acc)
