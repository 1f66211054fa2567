"""The `scb` console command that `pip install` puts on the PATH: the Rust command line
itself, run in this process (trials written in Python run on this interpreter)."""

import os
import sys

from . import _scb


def main():
    os.environ.setdefault("SCB_PYTHON", sys.executable)
    sys.exit(_scb.cli(["scb"] + sys.argv[1:]))


if __name__ == "__main__":
    main()
