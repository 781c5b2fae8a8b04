"""Search: meetings, agenda items, documents, minutes and decisions the reader may see, in every
language, accents ignored, matching words highlighted, in a fixed number of queries.

Runs on SQLite and, with DATABASE_URL=postgres://…, on PostgreSQL (full-text search, unaccent);
the stemming tests need PostgreSQL. `contains_all_words`, the lists' text filter, is tested here
on both databases too.
"""

import pytest
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from meetings.models import AgendaItem, Decision, Invitation, Meeting, Minutes, MinutesItem
from meetings.search import Terms, contains_all_words, fold, fold_text, highlight, parse, search, snippet
from tests.meetings.factories import invite, make_document, make_meeting, speaks
from tests.meetings.minutes_factories import held_meeting, make_minutes

pytestmark = pytest.mark.django_db
SEARCH = "/search/"


def _found(groups, kind: str) -> list:
    return next(group for group in groups if group.kind == kind).results


def _total(groups, kind: str) -> int:
    return next(group for group in groups if group.kind == kind).total


def _published_decision(
    group, chair, text_fr: str, text_en: str = "The group approves the plan."
) -> Decision:
    minutes = make_minutes(
        held_meeting(group, chair), items=1, decisions_per_item=0, status=Minutes.Status.PUBLISHED
    )
    item = minutes.items.get()
    return Decision.objects.create(
        item=item, minutes=minutes, position=1, number="2027/01-1", text_fr=text_fr, text_en=text_en
    )


# --- Accents, on both databases --------------------------------------------------------------


def test_french_decision_is_found_by_a_word_without_its_accent(group, chair, focal_point):
    decision = _published_decision(group, chair, "Le groupe approuve le compte rendu de la réunion de mars.")

    groups = search(focal_point, "reunion")

    [result] = _found(groups, "decisions")
    assert _total(groups, "decisions") == 1
    assert "<mark>réunion</mark>" in result.snippet
    assert result.snippet_lang == "fr"  # the French text is shown, where the word is
    assert (
        result.url
        == reverse("minutes:detail", args=[decision.minutes.meeting_id]) + f"#item-{decision.item_id}"
    )


def test_a_word_with_an_accent_finds_the_text_written_without(group, chair, focal_point):
    _published_decision(group, chair, "Le groupe approuve le compte rendu de la reunion de mars.")

    [result] = _found(search(focal_point, "RÉUNION"), "decisions")

    assert "<mark>reunion</mark>" in result.snippet


def test_the_page_shows_the_french_text_marked_in_french(client, group, chair, focal_point):
    _published_decision(group, chair, "Le groupe approuve le compte rendu de la réunion de mars.")
    client.force_login(speaks(focal_point, "en").user)

    page = client.get(SEARCH, {"q": "reunion"}).content.decode()

    assert '<p class="search-snippet" lang="fr">' in page
    assert "<mark>réunion</mark>" in page
    assert "1 result for “reunion”." in page


def test_a_meeting_is_found_by_its_dutch_title_for_an_english_reader(client, group, focal_point):
    meeting = make_meeting(group, title_en="Plenary", title_nl="Plenaire vergadering over het actieplan")
    client.force_login(speaks(focal_point, "en").user)

    [result] = _found(search(focal_point, "actieplan"), "meetings")

    assert result.url == reverse("meetings:detail", args=[meeting.pk])
    assert result.title_lang == "nl"
    assert "<mark>actieplan</mark>" in result.title


def test_agenda_items_and_documents_are_found_and_open_the_meeting(group, chair, focal_point):
    meeting = make_meeting(group, chair)
    item = AgendaItem.objects.create(meeting=meeting, position=1, title_de="Fortschrittsbericht Energie")
    make_document(meeting, title="Fortschrittsbericht 2027 (Entwurf)", item=item)
    make_document(meeting, title="Anwesenheitsliste")

    groups = search(focal_point, "fortschrittsbericht")

    [found_item] = _found(groups, "agenda_items")
    [document] = _found(groups, "documents")
    page = reverse("meetings:detail", args=[meeting.pk])
    assert found_item.url == document.url == f"{page}#item-{item.pk}"
    assert document.title == "<mark>Fortschrittsbericht</mark> 2027 (Entwurf)"
    assert document.title_lang == ""  # a document's title has no language
    assert _found(search(focal_point, "anwesenheitsliste"), "documents")[0].url == f"{page}#documents"


def test_minutes_items_are_found_in_published_minutes(group, chair, focal_point):
    minutes = make_minutes(held_meeting(group, chair), items=2, status=Minutes.Status.PUBLISHED)
    item = minutes.items.order_by("position").last()
    item.summary_fr = "Le groupe a débattu de l'élargissement du **réseau**."
    item.save()

    [result] = _found(search(focal_point, "elargissement"), "minutes_items")

    assert "<mark>élargissement</mark>" in result.snippet
    assert "**" not in result.snippet  # Markdown shown as text
    assert result.snippet_lang == "fr"
    assert result.url == reverse("minutes:detail", args=[minutes.meeting_id]) + f"#item-{item.pk}"


def test_every_word_must_be_found(group, focal_point):
    make_meeting(group, title_en="Plenary on the energy plan")
    make_meeting(group, title_en="Plenary on the mobility plan")

    assert _total(search(focal_point, "plenary energy"), "meetings") == 1
    assert _total(search(focal_point, "plenary -energy"), "meetings") == 1
    assert _total(search(focal_point, "plenary"), "meetings") == 2


# --- Who sees what ---------------------------------------------------------------------------


def _everything(group, chair, word: str, status=Minutes.Status.PUBLISHED) -> None:
    meeting = held_meeting(group, chair, title_en=f"Meeting {word}")
    item = AgendaItem.objects.create(meeting=meeting, position=1, title_en=f"Item {word}")
    make_document(meeting, title=f"Paper {word}", item=item)
    minutes = make_minutes(meeting, items=1, decisions_per_item=0, status=status)
    minutes_item = minutes.items.get()
    minutes_item.title_en = f"Minutes item {word}"
    minutes_item.save()
    Decision.objects.create(item=minutes_item, minutes=minutes, position=1, text_en=f"Decided {word}")


def test_an_outsider_finds_nothing_of_another_group(group, chair, outsider, focal_point):
    _everything(group, chair, "zanzibar")

    assert all(group.total == 0 and not group.results for group in search(outsider, "zanzibar"))
    assert all(group.total == 1 for group in search(focal_point, "zanzibar"))


def test_an_outsider_finds_nothing_on_the_page(client, group, chair, outsider):
    _everything(group, chair, "zanzibar")
    client.force_login(speaks(outsider, "en").user)

    page = client.get(SEARCH, {"q": "zanzibar"}).content.decode()

    assert "0 results for “zanzibar”." in page
    assert "Nothing you may see matches these words." in page
    assert "Paper" not in page and "Decided" not in page


def test_an_invitee_from_another_group_finds_that_meeting_and_its_documents(group, chair, outsider):
    meeting = make_meeting(group, chair, title_en="Meeting zanzibar")
    make_document(meeting, title="Paper zanzibar")
    [invitation] = invite(meeting, [outsider], source=Invitation.Source.PERSONAL)

    assert _total(search(outsider, "zanzibar"), "meetings") == 1
    assert _total(search(outsider, "zanzibar"), "documents") == 1

    Invitation.objects.filter(pk=invitation.pk).update(removed_at=meeting.starts_at)
    assert all(group.total == 0 for group in search(outsider, "zanzibar"))


def test_an_observer_does_not_find_draft_minutes(group, chair, observer):
    _everything(group, chair, "zanzibar", status=Minutes.Status.DRAFT)

    groups = search(observer, "zanzibar")

    assert _total(groups, "minutes_items") == 0 and _total(groups, "decisions") == 0
    assert _total(groups, "meetings") == 1  # the meeting itself is the group's
    managers = search(chair, "zanzibar")  # who writes the minutes finds them
    assert _total(managers, "minutes_items") == 1 and _total(managers, "decisions") == 1


def test_an_observer_finds_published_minutes(group, chair, observer):
    _everything(group, chair, "zanzibar", status=Minutes.Status.PUBLISHED)

    groups = search(observer, "zanzibar")

    assert _total(groups, "minutes_items") == 1 and _total(groups, "decisions") == 1


def test_signing_in_is_required(client):
    response = client.get(SEARCH, {"q": "plan"})

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Highlighting ----------------------------------------------------------------------------


def test_highlighting_escapes_the_text_first():
    terms = parse("reunion")

    html = highlight('<script>alert("réunion")</script> & Réunions', terms)

    assert html == (
        "&lt;script&gt;alert(&quot;<mark>réunion</mark>&quot;)&lt;/script&gt; &amp; <mark>Réunions</mark>"
    )


def test_a_title_with_markup_is_shown_as_text(client, group, chair, focal_point):
    meeting = make_meeting(group, chair)
    AgendaItem.objects.create(meeting=meeting, position=1, title_en='<img src=x onerror="alert(1)"> zanzibar')
    client.force_login(speaks(focal_point, "en").user)

    page = client.get(SEARCH, {"q": "zanzibar"}).content.decode()

    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; <mark>zanzibar</mark>" in page


def test_a_long_text_is_cut_around_the_first_match():
    text = " ".join(["filler"] * 60) + " the réunion " + " ".join(["after"] * 60)

    html = snippet(text, parse("reunion"), length=80)

    assert html.startswith("…") and html.endswith("…")
    assert "<mark>réunion</mark>" in html
    assert len(html) < 140


def test_folding_and_parsing():
    assert fold("Réunion Straße Œuvre") == "reunion strasse oeuvre"
    assert parse('"Réunion" or -Plénière 2027') == Terms(("reunion", "2027"), ("pleniere",))
    assert not parse("!!! ...")


# --- contains_all_words: the lists' text filter, on both databases -------------------------------

TITLES = ("title_en", "title_fr", "title_nl")


def _titled(group, title_fr: str, **fields) -> Meeting:
    return make_meeting(group, title_en="Plenary", title_nl="Plenaire", title_fr=title_fr, **fields)


def _matching(text: str) -> set[str]:
    rows = contains_all_words(Meeting.objects.all(), TITLES, text)
    return set(rows.values_list("title_fr", flat=True))


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("reunion", True),  # without its accent
        ("RÉUNIONS", True),  # capitals, with the accent
        ("union", True),  # anywhere in a word, not only at its start
        ("oeuvre", True),  # a ligature spelled out
        ("Œuvre", True),
        ("d’oeuvre", True),  # a typographic apostrophe for a straight one
        ("strasse", True),
        ("reunions plenary", True),  # every word, each in any column
        ("reunion absent", False),
        ("%", False),  # LIKE's wildcards are plain signs
        ("_", False),
        ("\\", False),
    ],
)
def test_every_word_is_contained_case_and_accents_aside(group, query, found):
    _titled(group, "Réunions sur la main-d'œuvre, Straße 5")

    assert bool(_matching(query)) is found


def test_a_word_with_an_accent_finds_a_column_written_without(group):
    _titled(group, "Cooperation regionale")

    assert _matching("coopération RÉGIONALE") == {"Cooperation regionale"}


def test_no_word_leaves_the_rows_as_they_are(group):
    _titled(group, "Réunion")
    rows = Meeting.objects.all()

    assert contains_all_words(rows, TITLES, "  \x00 ") is rows
    assert contains_all_words(rows, (), "reunion") is rows


def test_fold_text_keeps_spaces_and_signs():
    assert fold_text("Main-d’Œuvre 2026/77") == "main-d'oeuvre 2026/77"
    assert fold_text(None) is None


# --- The page --------------------------------------------------------------------------------


def test_the_search_page_has_a_labelled_box_and_no_results_before_searching(client, focal_point):
    client.force_login(speaks(focal_point, "en").user)

    page = client.get(SEARCH).content.decode()

    assert '<label for="id_q">Search for:</label>' in page
    assert 'type="search" name="q"' in page
    assert "result" not in page.split("</form>", 1)[1].split("<footer", 1)[0]
    assert 'id="site-search-q"' not in page  # the header box is not repeated here


@pytest.mark.parametrize("query", ["", "   ", "!!!", "x" * 201])
def test_bad_input_gives_a_form_error(client, focal_point, query):
    client.force_login(speaks(focal_point, "en").user)

    response = client.get(SEARCH, {"q": query})

    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()
    assert response.context["groups"] == []


def test_the_header_has_a_search_box_for_signed_in_members(client, focal_point):
    client.force_login(speaks(focal_point, "en").user)

    page = client.get(reverse("meetings:list")).content.decode()

    assert f'action="{reverse("search:results")}"' in page
    assert '<label for="site-search-q" class="visually-hidden">' in page
    client.logout()
    assert 'id="site-search-q"' not in client.get(reverse("account_login")).content.decode()


def _make_matches(group, chair, count: int) -> None:
    for index in range(count):
        meeting = held_meeting(group, chair, title_en=f"Zanzibar plenary {index}")
        AgendaItem.objects.create(
            meeting=meeting, position=1, title_en="Zanzibar item", description_en="Zanzibar"
        )
        make_document(meeting, title=f"Zanzibar paper {index}")
        make_minutes(meeting, items=1, status=Minutes.Status.PUBLISHED)
        MinutesItem.objects.filter(minutes__meeting=meeting).update(summary_en="On zanzibar.")
        Decision.objects.filter(minutes__meeting=meeting).update(text_en="Zanzibar decided.")


@pytest.mark.parametrize("count", [2, 30])
def test_search_queries_do_not_grow(client, group, chair, focal_point, django_assert_max_num_queries, count):
    _make_matches(group, chair, count)
    client.force_login(speaks(focal_point, "en").user)

    # session, user, member, current roles (readable minutes), then one query per kind (5)
    with django_assert_max_num_queries(9):
        response = client.get(SEARCH, {"q": "zanzibar"})

    groups = response.context["groups"]
    assert [group.total for group in groups] == [count] * 5
    assert all(len(group.results) == min(count, 20) for group in groups)
    if count > 20:
        assert "The first 20 of 30 are shown" in response.content.decode()


odd_queries = hypothesis_settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ODD = st.one_of(
    st.sampled_from(
        ['"', '"unclosed', "-", "--x", "or", "a or", "!", "&|!:*", "'", "\\", "%", "_", "a\x00b", "x" * 500]
    ),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40),
)


@pytest.fixture
def zanzibar(group, chair):
    """One of each kind with the word "zanzibar", made once for all the examples of a test."""
    _everything(group, chair, "zanzibar")


@odd_queries
@given(query=ODD)
def test_any_query_text_gives_a_page_never_a_server_error(client, focal_point, zanzibar, query):
    client.force_login(focal_point.user)

    response = client.get(SEARCH, {"q": query})

    assert response.status_code in (200, 400)  # 400: a NUL character, refused before any view


@odd_queries
@given(query=st.text(max_size=40))
def test_search_takes_any_text(focal_point, zanzibar, query):
    """Lone surrogates and NUL included, which no browser sends but a caller might."""
    assert len(search(focal_point, query)) == 5


@odd_queries
@given(query=st.text(max_size=40))
def test_contains_all_words_takes_any_text(group, query):
    """Lone surrogates and NUL included: no database error, whatever is typed."""
    list(contains_all_words(Meeting.objects.all(), TITLES, query))


# --- Stemming, on PostgreSQL -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title", "query"),
    [
        ("nl", "Vergadering van de werkgroep", "vergaderingen werkgroepen"),
        ("de", "Sitzung der Arbeitsgruppe", "Sitzungen Arbeitsgruppen"),
        ("fr", "La réunion du groupe de travail", "reunions groupes"),
        ("en", "Meeting of the working group", "meetings groups"),
    ],
)
@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")
def test_each_language_is_stemmed_by_its_dictionary(group, focal_point, language, title, query):
    """Plural words typed find the singular written: no prefix match would."""
    make_meeting(group, **{"title_en": "Plenary", "title_nl": "", "title_fr": "", f"title_{language}": title})

    [result] = _found(search(focal_point, query), "meetings")

    assert result.title_lang == language
    assert "<mark>" in result.title


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")
def test_titles_rank_before_descriptions(group, focal_point):
    make_meeting(group, title_en="Plenary", description_en="Later, the budget.")
    make_meeting(group, title_en="Budget review", description_en="")

    results = _found(search(focal_point, "budget"), "meetings")

    assert results[0].title == "<mark>Budget</mark> review"
