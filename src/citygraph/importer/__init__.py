"""``citygraph import-django``: the original Django service's database and media, moved in.

Modules, one job each: ``source`` (open the source, find its tables by their columns),
``reading`` (rows in id order, in batches), ``mapping`` (source row -> citygraph row or the
reason it is skipped), ``media`` (files copied by relative path, undone on failure),
``sequences`` (id generators past the imported ids), ``summary`` (counts and reasons),
``run`` (the one transaction) and ``command`` (the command line).
"""

from citygraph.importer.run import ImportOptions, import_django
from citygraph.importer.source import SourceError
from citygraph.importer.summary import ImportSummary, format_summary

__all__ = ["ImportOptions", "ImportSummary", "SourceError", "format_summary", "import_django"]
