-- counters: the twin of valk/counters.valk (locals rebound each step of a loop). Integer division
-- is Lua 5.4's //, which LuaJIT lacks (its column fails; math.floor would be a call per step)
local N = 10000000
local k
for i = 1, N do
  local sq = i * i
  local odd = i - 2 * (i // 2)
  k = sq // 1000 + odd
end
print(k)
