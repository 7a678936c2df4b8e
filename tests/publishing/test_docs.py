"""The README's generated tables agree with the contracts and the indicator catalogue."""


def test_readme_tables_match_the_contracts_and_catalogue():
    from inclusion_data.publishing.docs import README, render

    text = README.read_text("utf-8")
    assert render(text) == text, "run `make docs`"
