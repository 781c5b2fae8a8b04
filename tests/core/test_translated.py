from django import forms
from django.apps import apps
from django.utils import translation

from core.translated import language_form_fields, translated_field_names, translated_names
from meetings.models import Meeting
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


def test_every_model_with_texts_in_several_languages_declares_them_once():
    # A column per language written out by hand (title_nl, title_fr, …) next to no declaration
    # would miss the property, the labels and the form and admin lists generated from it.
    for model in apps.get_models():
        if model._meta.app_label not in {"core", "members", "meetings"}:
            continue
        if hasattr(model, "instance_type"):  # django-simple-history's copy of a model: its columns, no properties
            continue
        columns = {field.name for field in model._meta.get_fields()}
        by_hand = {
            name.removesuffix("_nl") for name in columns if name.endswith("_nl") and f"{name[:-3]}_en" in columns
        }
        assert by_hand <= set(getattr(model, "translated_fields", {})), model


def test_the_language_columns_keep_the_place_of_their_declaration():
    names = [field.name for field in Meeting._meta.fields]
    assert names.index("title_nl") < names.index("kind") < names.index("cancellation_note_nl")
    assert names[names.index("title_nl") : names.index("title_nl") + 4] == translated_names("title")


def test_forms_get_one_field_per_language_labelled_like_the_columns():
    fields = language_form_fields("title", "Title", max_length=255)
    assert list(fields) == translated_names("title")
    with translation.override("fr"):
        assert str(fields["title_de"].label) == "Title (allemand)"
    assert fields["title_de"].widget.attrs["lang"] == "de"
    assert not fields["title_de"].required and fields["title_de"].max_length == 255
    assert isinstance(language_form_fields("note", "Note", textarea=True)["note_nl"].widget, forms.Textarea)
