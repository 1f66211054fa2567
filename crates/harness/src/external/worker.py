# The worker that runs an external trial function for the harness (src/external/worker.rs).
# Started as `python -c <this> module:function [folder ...]`; one JSON object a line each way:
#   in:  {"point": {"n": 8, ...}, "seed": 123}
#   out: {"values": {"draws": 21.0, ...}} | {"raised": "<traceback>"} | {"bad": "<why>"}
# The first line out is {"ready": true}, or {"raised": ...} when the import fails.
# What the trial prints goes to stderr, so it cannot corrupt the protocol on stdout, and
# what it reads from stdin is /dev/null's end of file, so it cannot swallow the protocol or
# wait on it forever. A watchdog ends the worker when the harness that started it is gone
# (killed with SIGKILL, say), so no orphan keeps a core busy.
# The Python package imports `values` from this same text for trials it runs in-process.
import importlib
import json
import math
import numbers
import os
import sys
import threading
import time
import traceback


def values(out):
    if not isinstance(out, dict):
        return None, "returned a %s, not a dict of named numbers" % type(out).__name__
    clean = {}
    for key, v in out.items():
        if not isinstance(key, str):
            return None, "returned the key %r, which is not a string" % (key,)
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            return None, "returned %r = %r (a %s), not a number" % (key, v, type(v).__name__)
        try:
            x = float(v)
        except OverflowError:
            return None, "returned %r = a %s too large for a float" % (key, type(v).__name__)
        if not math.isfinite(x):
            return None, "returned %r = %r, not a finite number" % (key, x)
        clean[key] = x
    return clean, None


def watch_parent(parent):
    # A parent that dies leaves the worker to init (or a subreaper): its parent id changes.
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def main():
    target, folders = sys.argv[1], sys.argv[2:]
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    jobs = os.fdopen(os.dup(0), "r")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(os.devnull)
    for folder in reversed(folders):
        sys.path.insert(0, folder)
    module, _, name = target.partition(":")
    try:
        fn = getattr(importlib.import_module(module), name)
    except BaseException:
        proto.write(json.dumps({"raised": traceback.format_exc()}) + "\n")
        return
    proto.write(json.dumps({"ready": True}) + "\n")
    for line in jobs:
        job = json.loads(line)
        try:
            out = fn(job["point"], job["seed"])
        except Exception:
            proto.write(json.dumps({"raised": traceback.format_exc()}) + "\n")
            continue
        clean, bad = values(out)
        proto.write(json.dumps({"values": clean} if bad is None else {"bad": bad}) + "\n")


if __name__ == "__main__":
    try:
        main()
    except (KeyboardInterrupt, BrokenPipeError):
        # The harness was interrupted or ended: it keeps the finished trials; nothing to say.
        sys.exit(130)
