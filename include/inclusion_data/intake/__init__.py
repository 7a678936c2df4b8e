"""From a partner's file to typed columns: reading workbooks and CSVs (``reading``), matching
headers and parsing cells (``parsing``, ``values``), the reporting month (``periods``),
SIRUTA places (``localities``) and the pseudonymous person key (``pseudonym``).
Imports only ``contracts``."""
