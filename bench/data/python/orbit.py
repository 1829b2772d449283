# orbit: a float loop, 1,000,000 steps of a body orbiting a unit mass (semi-implicit Euler, the
# inner step of n-body with one body). Prints floor(energy * 1e6).
import math
N, dt = 1000000, 0.001
x, y, vx, vy = 1.0, 0.0, 0.0, 1.2
for _ in range(N):
    r2 = x * x + y * y
    a = -1.0 / (r2 * math.sqrt(r2))
    vx = vx + dt * a * x
    vy = vy + dt * a * y
    x = x + dt * vx
    y = y + dt * vy
e = 0.5 * (vx * vx + vy * vy) - 1.0 / math.sqrt(x * x + y * y)
print(math.floor(e * 1000000))
