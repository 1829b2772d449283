-- adders: the twin of valk/adders.valk (closures made per step, one called through a curried helper).
local N = 2000000
local function make_adder(k) return function(x) return x + k end end
local function twice(f) return function(x) return f(f(x)) end end
local function apply2(f) return function(a, b) return f(a + b) end end
local acc = 0
for i = 1, N do acc = apply2(twice(make_adder(i)))(acc, 1) end
print(acc)
