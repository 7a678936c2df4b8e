"""The SQL warehouse: schema, migrations, reference data and submission loading."""
