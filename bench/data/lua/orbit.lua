-- orbit: a float loop, 1,000,000 steps of a body orbiting a unit mass (semi-implicit Euler, the
-- inner step of n-body with one body). Prints floor(energy * 1e6).
local N, dt = 1000000, 0.001
local x, y, vx, vy = 1.0, 0.0, 0.0, 1.2
for _ = 1, N do
  local r2 = x * x + y * y
  local a = -1.0 / (r2 * math.sqrt(r2))
  vx = vx + dt * a * x
  vy = vy + dt * a * y
  x = x + dt * vx
  y = y + dt * vy
end
local e = 0.5 * (vx * vx + vy * vy) - 1.0 / math.sqrt(x * x + y * y)
print(math.floor(e * 1000000))
