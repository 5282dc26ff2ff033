"""SQL access to the canonical ticket and survey tables. Knows nothing of Dash."""
from .database import Database, DataSourceError
from .filters import ALL, Filters, FilterError, Scope
from .rules import ServiceRules
from .settings import Settings

__all__ = ["ALL", "Database", "DataSourceError", "FilterError", "Filters", "Scope", "ServiceRules", "Settings"]
