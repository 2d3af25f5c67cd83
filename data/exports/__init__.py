"""Export writers: Markdown, CSV and PDF renderings of a ``Document``.

Every document is built here, from the records data.records returns (which never import
this package): report_doc.report_document, incident_doc.incident_document /
incident_list_document, handover_doc.handover_document, inspection_doc.inspection_document
and visitor_doc; a writer renders it. Only the plain writers are re-exported here:
importing this package must stay cheap and free of record modules. The PDF writer lives
in ``data.exports.pdf`` because it loads reportlab.
"""

from data.exports.csv_export import to_csv, to_csv_bytes, to_csv_document
from data.exports.document import Document, Section, Table
from data.exports.markdown import to_markdown

__all__ = [
    "Document",
    "Section",
    "Table",
    "to_csv",
    "to_csv_bytes",
    "to_csv_document",
    "to_markdown",
]
