"""Export writers: Markdown, CSV and PDF renderings of a `Document`."""
