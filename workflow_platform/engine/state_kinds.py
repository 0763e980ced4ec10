"""The engine's own state kinds, imported once at startup so they register (kinds.py).

``wait`` (the wait queue), ``parallel`` (fan-out and join) and subworkflow steps; the
``human`` kind is the worklist's (``worklist/activation.py``, registered by its app).
"""

from . import fanout, subflows, waiting

BUILT_IN = (fanout.ACTIVATION, waiting.ACTIVATION, subflows.start_children)
