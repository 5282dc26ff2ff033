"""One module per page; importing this package registers them all (in menu order)."""
from . import overview  # noqa: F401
from . import response, escalations  # noqa: F401
from . import satisfaction, estates  # noqa: F401
from . import tickets, methodology  # noqa: F401
from . import quality  # noqa: F401
from . import annotations  # noqa: F401
