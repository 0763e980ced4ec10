"""The engine's own state kinds, imported once at startup so they register (kinds.py).

``wait`` (the wait queue), ``parallel`` (fan-out and join), subworkflow steps and, until
the worklist owns them, ``human`` tasks.
"""

from . import fanout, human, subflows, waiting

BUILT_IN = (fanout.ACTIVATION, human.ACTIVATION, waiting.ACTIVATION, subflows.start_children)
