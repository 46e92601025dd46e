"""Party scripts that run on the MPyC runtime (see :mod:`simprive.mpc.mpyc_bridge`).

Each module here is an MPyC program: one operating-system process per party, started
with MPyC's own flags (``-M m -I i`` or ``-P host:port ... -I i``).  The modules import
only the standard library, numpy and mpyc, so that a party starts without paying for
``import simprive`` (Hydra, pandas, ...); :mod:`simprive.mpc.mpyc_bridge` therefore runs them
by file path, which behaves exactly like ``python -m simprive.mpc.mpyc_programs.program``.
"""

from pathlib import Path

PROGRAM = Path(__file__).with_name("program.py")

__all__ = ["PROGRAM"]
