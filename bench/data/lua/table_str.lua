-- dict_str: insert 100,000 string keys ("k0" ...) into a table, then look each up. Prints the sum.
local N = 100000
local d = {}
for i = 0, N - 1 do d["k" .. i] = i end
local acc = 0
for i = 0, N - 1 do acc = acc + d["k" .. i] end
print(acc)
