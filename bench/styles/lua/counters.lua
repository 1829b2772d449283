-- counters: the twin of valk/counters.valk (locals rebound each step of a loop).
local N = 1000000
local k
for i = 1, N do
  local sq = i * i
  local odd = i - 2 * (i // 2)
  k = sq // 1000 + odd
end
print(k)
