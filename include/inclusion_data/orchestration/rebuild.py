"""Rebuild the indicator tables whole from every accepted row: what the nightly build does
incrementally, for a data engineer who wants them recomputed from scratch (after the
warehouse was repaired by hand, say). A publication follows as on any night: a new one when
what the figures are computed from changed, else the latest stands.

    python -m inclusion_data.orchestration.rebuild
"""

from __future__ import annotations

import json

from inclusion_data.orchestration.tasks import build_and_publish, prepare_warehouse


def main() -> None:
    prepare_warehouse()
    print(json.dumps(build_and_publish(full=True), indent=2))


if __name__ == "__main__":
    main()
