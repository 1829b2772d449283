-- spawn_await.lua: the twin of spawn_await.valk: a coroutine created and resumed 200,000 times,
-- each returning at once. Prints the sum of the results.
local function add(a, b) return a + b end
local acc = 0
for n = 200000, 1, -1 do
  local _, v = coroutine.resume(coroutine.create(add), n, 1)
  acc = acc + v
end
print(acc)
