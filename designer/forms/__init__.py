"""Property forms of the designer's side panels: one form per part of a workflow document.

The browser holds the version's document while a person edits it; a panel posts the part
being edited (and the whole document, for context such as name clashes) to the server,
which checks it with these forms and answers with inline errors or the cleaned part as
document JSON (docs/definition-format.md) for the browser to apply. Structural checks of
the whole machine stay with ``definitions.validation``; these only check what one panel
can see. One module per part: ``state``, ``transition`` and ``catalog`` (actions and
dependencies), on the shared field checks of ``checks``.
"""

from .catalog import ActionForm, DependencyForm
from .checks import json_object
from .state import StateForm
from .transition import TransitionForm

__all__ = ["ActionForm", "DependencyForm", "StateForm", "TransitionForm", "json_object"]
