"""The column-wise CNP check gives python-stdnum's answers, CNP for CNP."""

import random

from stdnum.exceptions import ValidationError
from stdnum.ro import cnp as stdnum_cnp

from inclusion_data.quality.cnp import birth_dates


def _stdnum(value: str):
    try:
        return stdnum_cnp.get_birth_date(stdnum_cnp.validate(value))
    except ValidationError:
        return None


def _valid(body: str) -> str:
    return body + stdnum_cnp.calc_check_digit(body)


def test_birth_dates_agree_with_stdnum_on_valid_invalid_and_odd_cnps():
    rng = random.Random(13)
    values = [
        _valid("185031412345"),  # a valid CNP
        _valid("600022912345"),  # 29 February 2000
        _valid("500022912345")[:-1] + "0",  # wrong check digit
        _valid("190022912345"),  # 29 February 1900: no such day
        _valid("185133112345"),  # month 13
        _valid("185043112345"),  # 31 April
        _valid("185031499345"),  # county 99
        _valid("085031412345"),  # first digit 0
        _valid("985031470345"),  # a foreigner, county "Any"
        "185031412345",  # 12 digits
        "18503141234567",
        "18503141234x5",
        "1850314–123456",  # a dash stdnum takes out
        "",
    ]
    for _ in range(3000):  # CNPs of random people (some on impossible days), then one digit changed
        first, county = rng.choice("0123456789"), rng.randrange(60)
        born = f"{rng.randrange(100):02d}{rng.randint(1, 12):02d}{rng.randint(1, 31):02d}"
        values.append(_valid(f"{first}{born}{county:02d}{rng.randrange(1000):03d}"))
        changed = rng.randrange(13)
        values.append(values[-1][:changed] + rng.choice("0123456789") + values[-1][changed + 1 :])
    assert birth_dates(values) == [_stdnum(v) for v in values]
    assert sum(b is not None for b in birth_dates(values)) > 1000  # the valid ones are in there too
