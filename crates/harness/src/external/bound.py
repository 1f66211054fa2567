# Evaluates a spec's python.bound_function at every point of its grids, for the harness
# (src/external/bound.rs). Started as `python -c <this> module:function [folder ...]`, it
# reads one JSON list of points on stdin and writes one JSON object on stdout:
#   {"values": [b1, b2, ...]} | {"raised": "<traceback>", "point": {...}} | {"bad": "<why>", "point": {...}}
# What the function prints goes to stderr, so it cannot corrupt the answer.
import importlib
import json
import math
import numbers
import os
import sys
import threading
import time
import traceback

answer = sys.stdout
sys.stdout = sys.stderr


def say(obj):
    answer.write(json.dumps(obj) + "\n")
    answer.flush()


def watch_parent(parent):
    # A harness killed outright (SIGKILL) cannot stop this process; its parent id changes.
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
target, folders = sys.argv[1], sys.argv[2:]
sys.path[:0] = folders
module, name = target.split(":")
try:
    function = getattr(importlib.import_module(module), name)
except Exception:
    say({"raised": traceback.format_exc(), "point": None})
    sys.exit(0)
out = []
for point in json.loads(sys.stdin.read()):
    try:
        v = function(point)
    except Exception:
        say({"raised": traceback.format_exc(), "point": point})
        sys.exit(0)
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(float(v)):
        say({"bad": "returned %r (a %s), not a finite number" % (v, type(v).__name__), "point": point})
        sys.exit(0)
    out.append(float(v))
say({"values": out})
