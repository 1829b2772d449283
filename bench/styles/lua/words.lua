-- words: the twin of valk/words.valk (string.format, a split into a table, a prefix test).
local N = 200000
local function split(s)
  local t = {}
  for w in string.gmatch(s, "[^ ]+") do t[#t + 1] = w end
  return t
end
local acc = 0
for i = 1, N do
  local words = split(string.format("alpha beta%d gamma bravo%d delta", i, i * 7))
  for _, w in ipairs(words) do
    if string.sub(w, 1, 1) == "b" then acc = acc + #w end
  end
end
print(acc)
