"""A protobuf message printed as JSON, read by its fields' proto names.

protojson prints a field in lowerCamelCase (``socketAddress``) unless told to keep the proto's own name
(``socket_address``), and receivers and exports do either: Envoy's access log service entries, Cloud Logging's
LogEntry (``httpRequest``/``requestUrl``).  One reader takes both, so the modules that map such messages name each
field once, as the .proto writes it.
"""

from __future__ import annotations

from typing import Any


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def field(obj: Any, *names: str) -> Any:
    """``obj[n1][n2]…``, each field given by its proto name and found in either casing; None when absent."""
    for name in names:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(_camel(name), obj.get(name))
    return obj
