-- deeplist: the twin of valk/deeplist.valk (cons cells as {head, tail} tables, non-tail recursion;
-- 200,000 deep is past LuaJIT's stack limit, so its column fails)
local N = 200000
local function build(n) if n == 0 then return nil end return {n, build(n - 1)} end
local function double(l) if l == nil then return nil end return {2 * l[1], double(l[2])} end
local function total(l) if l == nil then return 0 end return l[1] + total(l[2]) end
local acc = 0
for _ = 1, 5 do acc = acc + total(double(build(N))) end
print(acc)
