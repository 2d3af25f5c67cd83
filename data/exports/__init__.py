"""Export writers: Markdown, CSV and PDF renderings of a ``Document``.

Record services' data becomes a ``Document`` (``report_document``, ``incident_document``,
``incident_list_document``, and other engineers' builders); a writer renders it. The PDF
writer is imported from ``data.exports.pdf`` directly: it loads reportlab, which the
other writers do not need.
"""

from data.exports.csv_export import to_csv, to_csv_bytes, to_csv_document
from data.exports.document import Document, Section, Table
from data.exports.incident_doc import incident_document, incident_list_document
from data.exports.markdown import to_markdown
from data.exports.report_doc import report_document

__all__ = [
    "Document",
    "Section",
    "Table",
    "incident_document",
    "incident_list_document",
    "report_document",
    "to_csv",
    "to_csv_bytes",
    "to_csv_document",
    "to_markdown",
]
