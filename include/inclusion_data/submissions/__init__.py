"""One partner file at a time: its evaluation (``evaluation``) into an outcome (``outcome``),
and what the partner gets back: the file report, the feedback workbook, the pre-check and the
template to fill. Imports ``contracts``, ``intake`` and ``quality``; the warehouse is reached
only through the ``History`` the caller passes in."""
