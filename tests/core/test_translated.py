from django.utils import translation

from core.translated import translated_field_names, translated_names
from members.models import Administration


def test_one_declaration_gives_a_column_per_language_in_settings_order():
    assert translated_names("name") == ["name_nl", "name_fr", "name_de", "name_en"]
    assert translated_field_names(Administration) == ["name_nl", "name_fr", "name_de", "name_en"]
    columns = {field.name for field in Administration._meta.get_fields()}
    assert {"name_nl", "name_fr", "name_de", "name_en"} <= columns
    assert "name" not in columns


def test_the_attribute_reads_the_readers_language_then_falls_back():
    administration = Administration(name_nl="FOD Economie", name_fr="SPF Economie", acronym="ECO")
    with translation.override("fr"):
        assert administration.name == "SPF Economie"
    with translation.override("de"):
        # No German and no English: the first language filled in, in settings order.
        assert administration.name == "FOD Economie"


def test_each_column_is_labelled_in_the_readers_language():
    field = Administration._meta.get_field("name_nl")
    with translation.override("fr"):
        assert str(field.verbose_name) == "nom (néerlandais)"
    with translation.override("en"):
        assert str(field.verbose_name) == "name (Dutch)"
