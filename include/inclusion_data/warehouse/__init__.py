"""The SQL warehouse: schema and migrations, loading submissions (``load``), what it knows of
earlier files (``history``), reference data and completeness. Imports the stages below it,
down to ``submissions`` for the outcome model it stores."""
