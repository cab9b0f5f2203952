"""Combines the RESULT lines of wrk runs made at once against two nodes:
requests and errors add up, p50 and p99 are the worse node's."""

import sys

runs = []
for path in sys.argv[1:]:
    fields = open(path).read().split()
    if not fields or fields[0] != "RESULT":
        sys.exit(f"{path}: no RESULT line from wrk")
    runs.append(dict(field.split("=") for field in fields[1:]))


def total(key):
    return sum(int(run[key]) for run in runs)


def worst(key):
    return max(int(run[key]) for run in runs)


print(
    f"RESULT requests={total('requests')} "
    f"seconds={max(float(run['seconds']) for run in runs):.3f} "
    f"p50_us={worst('p50_us')} p99_us={worst('p99_us')} "
    f"non2xx3xx={total('non2xx3xx')} socket_errors={total('socket_errors')}"
)
