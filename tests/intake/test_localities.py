"""SIRUTA matching: county first, any diacritics, everyday spellings."""

import pytest

from inclusion_data.intake.localities import localities


@pytest.mark.parametrize(
    "name, county, siruta",
    [
        ("Săcuieni", "Bihor", 30924),
        ("Sacuieni", "Bihor", 30924),
        ("SĂCUIENI", "Bihor", 30924),
        ("Săcueni", "Bihor", 30924),
        ("Roșiori", "Bihor", 29136),
        ("Roşiori", "Bihor", 29136),
        ("Rosiori", "Bihor", 29136),
        ("Tîrgușor", "Bihor", 28521),
        ("Târgușor", "Bihor", 28521),
        ("Mera", "Cluj", 55865),
        ("Mera", "Vrancea", 176695),
        ("Mera", "Bihor", None),
        ("Mera, Baciu", "Cluj", 55865),
        ("Mera (Baciu)", "Cluj", 55865),
        ("Municipiul Cluj-Napoca", "Cluj", 54984),
        ("cluj napoca", "Cluj", 54984),
        ("Atlantida", "Cluj", None),
    ],
)
def test_resolve(name, county, siruta):
    assert localities().resolve(name, county) == siruta


def test_a_name_shared_by_villages_of_one_county_needs_its_commune():
    assert localities().resolve("Pădureni", "Cluj") is None
    communes = {
        localities().by_siruta[s].uat_name
        for s in localities().by_siruta
        if localities().by_siruta[s].name == "Pădureni" and localities().by_siruta[s].county == "Cluj"
    }
    commune = sorted(communes)[0]
    assert localities().resolve(f"Pădureni, {commune}", "Cluj") is not None
