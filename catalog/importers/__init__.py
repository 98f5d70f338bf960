from catalog.importers.movielens import FORMATS, import_movielens
from catalog.importers.reader import ImportReport, RowError

__all__ = ["FORMATS", "ImportReport", "RowError", "import_movielens"]
