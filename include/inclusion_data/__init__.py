"""Social-inclusion data pipeline, one sub-package per stage of the data's path.

A stage imports only the stages above it in this list (and ``settings``, which all may use):

    contracts      what a dataset is: columns, types, ranges, vocabularies, the network
    intake         reading partner files into typed columns: values, periods, places, pseudonyms
    quality        checks and Great Expectations validation, findings, plausibility
    submissions    one file's evaluation and what the partner gets back (report, feedback, template)
    warehouse      the SQL schema, its migrations, loading submissions, completeness
    indicators     the catalogue, computation, targets, suppression
    publishing     public outputs, the reviewers' pages, the README's generated tables
    orchestration  what the Airflow tasks call, assets, schedules, object storage

``demo`` generates sample data and runs everything; ``tests/test_layers.py`` holds the order.
"""
