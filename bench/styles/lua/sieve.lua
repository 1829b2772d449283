-- sieve: the twin of valk/sieve.valk (arrays, a new one per filter).
local N = 100000
local l = {}
for i = 2, N - 1 do l[#l + 1] = i end
local function filter(f, t)
  local r = {}
  for i = 2, #t do if f(t[i]) then r[#r + 1] = t[i] end end
  return r
end
local acc = 0
while #l > 0 do
  local p = l[1]
  if p * p > N then acc = acc + #l; break end
  l = filter(function(n) return n % p ~= 0 end, l)
  acc = acc + 1
end
print(acc)
