"""Indicators from the warehouse: the catalogue (``catalogue``), their computation in SQL
(``computation``), targets, the gaps that missing submissions leave, and small-cell
suppression. Imports ``warehouse`` and the stages below it."""
