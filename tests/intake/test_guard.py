"""The reader's child process: an abort or a memory blow-up costs one file, not the worker."""

import os

import pytest

from inclusion_data.intake.guard import UnreadableFile, in_child
from inclusion_data.intake.paths import inside, safe_name, unsafe_reason
from inclusion_data.settings import ReadingLimits

SMALL = ReadingLimits(reader_memory_bytes=256 * 2**20)


def test_a_result_comes_back_from_the_child():
    assert in_child(lambda: [("Beneficiari", [1, "ă"])], SMALL) == [("Beneficiari", [1, "ă"])]


def test_an_abort_in_the_reader_is_a_refusal_not_a_crash():
    with pytest.raises(UnreadableFile) as refused:
        in_child(os.abort, SMALL)  # what a Rust panic that aborts does to a process
    assert refused.value.rule == "corrupt_file"
    assert os.getpid() > 0  # and we are still here


def test_memory_beyond_the_cap_is_refused():
    with pytest.raises(UnreadableFile) as refused:
        in_child(lambda: bytearray(1024 * 2**20), SMALL)
    assert refused.value.rule == "too_big_unpacked"


def test_a_reader_error_comes_back_as_an_error():
    def fails():
        raise ValueError("bad cell")

    with pytest.raises(RuntimeError, match="ValueError: bad cell"):
        in_child(fails, SMALL)


@pytest.mark.parametrize(
    "name", ["../x", "TWAM/../../x", "/etc/passwd", "C:\\x", "a/\x00b", "a\nb", "", "TWAM/./x"]
)
def test_names_that_lead_out_or_hide_are_refused(name, tmp_path):
    assert unsafe_reason(name)
    with pytest.raises(ValueError):
        inside(tmp_path, name)


def test_a_linked_folder_that_leads_out_is_refused(tmp_path):
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "TWAM").symlink_to(tmp_path)
    with pytest.raises(ValueError, match="outside"):
        inside(tmp_path / "inbox", "TWAM/secret")
    assert inside(tmp_path / "inbox", "ALBA/x.xlsx") == (tmp_path / "inbox" / "ALBA/x.xlsx").resolve()


def test_safe_names_keep_what_can_be_kept():
    assert safe_name("raport_2016-03.xlsx") == "raport_2016-03.xlsx"
    assert safe_name("..\n/raport") == "__raport"
