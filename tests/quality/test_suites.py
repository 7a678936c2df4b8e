"""The committed Great Expectations suites are the ones the contracts generate, and valid GX."""

from inclusion_data.contracts.datasets import DATASETS
from inclusion_data.quality.suites import build_suite, load_suite


def test_committed_suites_match_the_contracts():
    for name, dataset in DATASETS.items():
        assert load_suite(name) == build_suite(dataset), f"run `make suites` ({name})"


def test_every_expectation_is_valid_gx_with_rule_severity_and_message():
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    from inclusion_data.quality.validation import _suite

    for name in DATASETS:
        spec = load_suite(name)
        for expectation in spec["expectations"]:
            ExpectationConfiguration(**expectation).to_domain_obj()  # raises on a bad entry
            meta = expectation["meta"]
            assert expectation["severity"] in ("critical", "warning")
            assert meta["rule"] and meta["message_en"] and meta["message_ro"]
        assert len(_suite(name).expectations) == len(spec["expectations"])
