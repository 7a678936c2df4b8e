"""Social-inclusion data pipeline: contracts, validation, warehouse and indicators."""
