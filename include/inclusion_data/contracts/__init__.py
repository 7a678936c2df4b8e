"""What the data is: each dataset's columns, types, ranges and rules (``datasets``), the
controlled vocabularies (``vocabularies``), the network's projects and partners (``network``)
and how names are compared (``text``). The single source the other stages derive from; it
imports nothing from them."""
