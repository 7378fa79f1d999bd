# 20 operations of `true` on each target, one after the other.
from pyinfra.operations import server

for i in range(1, 21):
    server.shell(name=f"task {i:02d}", commands=["true"])
