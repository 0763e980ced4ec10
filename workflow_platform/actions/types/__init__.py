"""The built-in action types; importing this package registers each of them.

One module per type: ``http_action`` (HTTP requests behind the SSRF guard),
``python_action`` (registered callables), ``set_action`` (data transforms),
``subworkflow_action`` (child instances) and ``notify_action`` (email or webhook).
"""

from . import (  # noqa: F401
    http_action,
    notify_action,
    python_action,
    set_action,
    subworkflow_action,
)
