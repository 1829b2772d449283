-- dict_int: insert 1,000,000 integer keys into a table, then look each up. Prints the sum.
local N = 1000000
local d = {}
for i = 0, N - 1 do d[i] = 2 * i end
local acc = 0
for i = 0, N - 1 do acc = acc + d[i] end
print(acc)
