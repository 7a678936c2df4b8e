"""What the Airflow DAGs call: the ingest of a file (``ingest``), the task functions
(``tasks``, loaded lazily through ``dag_tasks``), Assets, schedules, object storage and a local
Airflow for the demo and tests. The top of the stack: it may import every stage."""
