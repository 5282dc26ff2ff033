"""One module per page; importing this package registers them all (in menu order)."""
from . import overview  # noqa: F401
