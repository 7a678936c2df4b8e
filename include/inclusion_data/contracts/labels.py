"""What codes look like to people, in the page's language: statuses, severities, rule names
(translated through the catalogues), datasets and vocabulary values (from the contracts,
which hold their Romanian and English labels)."""

from __future__ import annotations

from inclusion_data.contracts.datasets import DATASETS
from inclusion_data.contracts.i18n import N_, gettext
from inclusion_data.contracts.vocabularies import vocabularies

STATUSES = {
    "accepted": N_("accepted"),
    "rejected": N_("rejected"),
    "superseded": N_("superseded"),
    "duplicate": N_("already received"),
    "missing": N_("missing"),
    "pending": N_("waiting to be processed"),
    "nil": N_("no activity declared"),
    "held": N_("held: the month is closed"),
}
SEVERITIES = {"error": N_("error"), "warning": N_("warning")}
RULES = {
    # the rules of the datasets' suites
    "allowed_value": N_("value not in the list"),
    "birth_date_plausible": N_("birth date not plausible"),
    "certified_completed": N_("certified without completing"),
    "child_is_minor": N_("child is not a minor"),
    "cnp_matches_birth": N_("CNP does not match the birth date"),
    "cnp_matches_sex": N_("CNP does not match the sex"),
    "cnp_valid": N_("CNP not valid"),
    "dates_in_order": N_("dates out of order"),
    "duplicate_row": N_("repeated row"),
    "end_date_in_reporting_month": N_("end date outside the reporting month"),
    "format": N_("wrong format"),
    "identifier_present": N_("no CNP or person code"),
    "locality_in_county": N_("locality not in the county"),
    "range": N_("value out of range"),
    "required_column": N_("required column missing"),
    "required_value": N_("required value missing"),
    "service_date_in_reporting_month": N_("service date outside the reporting month"),
    "start_date_plausible": N_("start date not plausible"),
    "unusual_value": N_("unusual value"),
    "too_long": N_("text too long"),
    # about a sheet or the whole file
    "unusual_volume": N_("unusual number of rows"),
    "already_processed": N_("file already processed"),
    "month_closed": N_("month approved and closed"),
    "conflicting_month": N_("two different months"),
    "empty_sheet": N_("empty sheet"),
    "unknown_column": N_("unknown column"),
    "unknown_sheet": N_("unknown sheet"),
    "unknown_month": N_("month not stated"),
    "unknown_partner": N_("partner not registered"),
    "misplaced_file": N_("file outside a partner's folder"),
    "month_outside_project": N_("month outside the reporting period"),
    "no_dataset": N_("no dataset in the file"),
    "no_header_row": N_("no header row"),
    "no_activity_with_rows": N_("rows sent with a declaration of no activity"),
    "no_activity_answer": N_("no-activity answer neither Yes nor No"),
    "internal_error": N_("internal error"),
    "empty_file": N_("empty file"),
    "too_big": N_("file too big"),
    "too_big_unpacked": N_("file too big once unpacked"),
    "corrupt_file": N_("damaged file"),
    "password_protected": N_("password-protected file"),
    "macro_enabled": N_("file with macros"),
    "wrong_extension": N_("wrong file extension"),
    "not_a_spreadsheet": N_("not a spreadsheet"),
    "unsupported_type": N_("unsupported file type"),
    "xml_entities": N_("XML entities declared"),
    "link_refused": N_("symbolic link"),
    "unreadable_file": N_("file cannot be opened"),
    "unsafe_name": N_("name not allowed"),
}


class Labels:
    """The label functions templates and mails use, bound to one language."""

    def __init__(self, language: str) -> None:
        self.language = language

    def status(self, code: str) -> str:
        return gettext(self.language, STATUSES[code]) if code in STATUSES else code

    def severity(self, code: str) -> str:
        return gettext(self.language, SEVERITIES[code]) if code in SEVERITIES else code

    def rule(self, code: str) -> str:
        return gettext(self.language, RULES[code]) if code in RULES else code

    def dataset(self, name: str) -> str:
        dataset = DATASETS.get(name)
        return dataset.sheet_names[0 if self.language == "ro" else 1] if dataset else name

    def value(self, vocabulary: str, code: str) -> str:
        found = vocabularies().get(vocabulary)
        return found.label(code, self.language) if found else code

    def message(self, finding: object) -> str:
        """A finding's message (a ``Finding`` or its dict) in this language."""
        key = "message_ro" if self.language == "ro" else "message_en"
        return finding[key] if isinstance(finding, dict) else getattr(finding, key)
