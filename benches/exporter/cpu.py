"""Run a command N times; print the children's CPU seconds (user+sys) and wall time.

The Python interpreter running this script is not counted: only its children are.
usage: cpu.py N -- CMD ARGS...
"""
import resource
import subprocess
import sys
import time

n = int(sys.argv[1])
cmd = sys.argv[sys.argv.index("--") + 1:]
codes = []
t0 = time.monotonic()
for _ in range(n):
    codes.append(subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode)
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"cpu_s={ru.ru_utime + ru.ru_stime:.4f} wall_s={wall:.3f} exit_codes={sorted(set(codes))}")
