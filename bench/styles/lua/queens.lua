-- queens: the twin of valk/queens.valk (placed columns as a linked list {col, rest}).
local N = 8
local function safe(col, placed, d)
  if placed == nil then return 1
  elseif col == placed[1] then return 0
  elseif col - placed[1] == d then return 0
  elseif placed[1] - col == d then return 0
  else return safe(col, placed[2], d + 1) end
end
local place
local function try(col, row, placed)
  if col > N then return 0
  elseif safe(col, placed, 1) == 1 then return place(row + 1, {col, placed}) + try(col + 1, row, placed)
  else return try(col + 1, row, placed) end
end
place = function(row, placed) if row > N then return 1 else return try(1, row, placed) end end
local acc = 0
for _ = 1, 200 do acc = acc + place(1, nil) end
print(acc)
