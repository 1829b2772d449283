-- regex_replace: 100,000 replacements with group references ("user7@host7" -> "host7 at user7")
-- in one text, five times, with Lua patterns (gsub). Prints the total length of the results.
local t = {}
for i = 0, 99999 do t[#t + 1] = "user" .. i .. "@host" .. i .. " " end
local text = table.concat(t)
local total = 0
for _ = 1, 5 do total = total + #(text:gsub("(%w+)@(%w+)", "%2 at %1")) end
print(total)
