"""Names vulture cannot see used, each with the reason (read by ``.ci/run``'s dead-code check).

Framework hooks (Textual's ``on_*``/``action_*``/``compose``/``DEFAULT_CSS`` …) are ignored by
name pattern in ``.ci/run``; what is left here is used by something vulture does not read.
"""

from meshtail.linear import Linear
from meshtail.parse import envoy_operators

# set on the RE2 options object: the library reads it
Linear.__init__.options.log_errors  # type: ignore[attr-defined]  # noqa: B018

# documented reference tables of Envoy's operators (releases, other contexts, unreleased,
# removed): the --format-string error and docs cite them; kept as data next to the list in use
envoy_operators.FIRST_SEEN  # noqa: B018
envoy_operators.OTHER_CONTEXTS  # noqa: B018
envoy_operators.NOT_YET_RELEASED  # noqa: B018
envoy_operators.REMOVED_BEFORE_1_10  # noqa: B018
