"""The batch's objects out of the cycle collector's sight (``orchestration.collector``): what
was alive on entry is frozen, garbage made inside is still collected, and leaving gives the
collector everything back, so a long-lived process (these tests, ``dag.test()``) keeps
nothing for ever. A process whose parent froze its imports is left as it is."""

import gc

from inclusion_data.orchestration.collector import loaded_frozen


class Node:
    def __init__(self):
        self.me = self  # a cycle: only the collector frees it


def test_what_is_loaded_is_frozen_inside_and_given_back_after():
    assert gc.get_freeze_count() == 0
    loaded = Node()
    with loaded_frozen():
        frozen = gc.get_freeze_count()
        assert frozen > 1000
        assert not any(o is loaded for o in gc.get_objects())  # out of every generation
        Node()  # garbage made during the batch
        assert gc.collect() >= 1
    assert gc.get_freeze_count() == 0
    assert any(o is loaded for o in gc.get_objects())
    del loaded
    assert gc.collect() >= 1  # collected once it is garbage: nothing kept for ever


def test_a_process_whose_parent_froze_is_left_as_it_is():
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with loaded_frozen():
            Node()
        assert gc.get_freeze_count() == before  # neither frozen again nor given back
    finally:
        gc.unfreeze()
