-- collatz: the twin of valk/collatz.valk.
local function collatz(n, steps)
  if n % 2 == 0 then
    if n == 1 then return steps else return collatz(math.floor(n / 2), steps + 1) end
  else
    if n == 1 then return steps else return collatz(3 * n + 1, steps + 1) end
  end
end
local acc = 0
for i = 100000, 1, -1 do acc = acc + collatz(i, 0) end
print(acc)
