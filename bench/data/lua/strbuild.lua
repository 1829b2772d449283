-- strbuild: a string built from 200,000 pieces (the decimal forms of 0 ... 199,999) with a table
-- and table.concat (the idiomatic Lua way), ten times. Prints the total length.
local function build(n)
  local t = {}
  for i = 0, n - 1 do t[#t + 1] = tostring(i) end
  return table.concat(t)
end
local total = 0
for _ = 1, 10 do total = total + #build(200000) end
print(total)
