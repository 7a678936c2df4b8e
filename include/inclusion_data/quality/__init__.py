"""Is the data right: row checks that need code (``checks``), the Great Expectations suites
generated from the contracts (``suites``) and their validation (``validation``), the findings
they produce (``findings``) and the volume warning (``plausibility``).
Imports ``contracts`` and ``intake``."""
