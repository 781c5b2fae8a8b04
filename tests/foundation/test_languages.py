import pytest
from django.urls import reverse

from members.models import User

pytestmark = pytest.mark.django_db

SIGN_IN = {"nl": "Aanmelden", "fr": "Connexion", "de": "Anmeldung", "en": "Sign In"}


@pytest.mark.parametrize(("language", "heading"), SIGN_IN.items())
def test_login_page_follows_accept_language(client, language, heading):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.text
    assert heading in response.text
    assert response["Content-Language"] == language


@pytest.mark.parametrize(("language", "heading"), SIGN_IN.items())
def test_language_switcher_changes_the_page_language(client, language, heading):
    response = client.post(
        reverse("set-language"), {"language": language, "next": reverse("account_login")}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("account_login")
    assert f'<html lang="{language}">' in response.text
    assert heading in response.text


def test_switcher_refuses_an_unknown_language(client):
    client.post(reverse("set-language"), {"language": "xx", "next": "/"})
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="fr">' in response.text


def test_preferred_language_is_applied_after_login(client, password):
    from tests.factories import UserFactory

    member = UserFactory(language="de")
    response = client.post(
        reverse("account_login"),
        {"login": member.email, "password": password},
        HTTP_ACCEPT_LANGUAGE="fr",
        follow=True,
    )
    assert '<html lang="de">' in response.text
    # The next page too, whatever the browser asks for.
    assert '<html lang="de">' in client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="nl").text


def test_switching_language_while_signed_in_saves_the_preference(client, user):
    client.force_login(user)
    client.post(reverse("set-language"), {"language": "nl", "next": "/"})
    user.refresh_from_db()
    assert user.language == "nl"
    assert '<html lang="nl">' in client.get(reverse("home")).text


def test_every_page_has_the_switcher_skip_link_and_landmarks(client):
    text = client.get(reverse("home")).text
    assert 'class="skip-link" href="#main"' in text
    assert '<main id="main"' in text
    assert "<nav" in text and "aria-label=" in text
    for code in ("nl", "fr", "de", "en"):
        assert f'name="language" value="{code}"' in text


def test_created_users_store_a_lowercase_email():
    user = User.objects.create_user("Mixed.Case@Example.org", "x", name="M")
    assert user.email == "mixed.case@example.org"


# Text entered in another language than the page's is marked with its own (WCAG 3.1.2).


@pytest.fixture
def german_reader(group):
    from tests.factories import make_member

    return make_member(group, "member", language="de")


def test_english_only_title_on_a_german_page_is_marked_english(client, group, german_reader):
    from tests.meetings.factories import make_meeting

    meeting = make_meeting(
        group,
        title_en="Plenary on due diligence",
        title_nl="",
        title_fr="",
        description_en="Bring your progress reports.",
    )
    client.force_login(german_reader.user)

    page = client.get(reverse("meetings:detail", args=[meeting.pk])).text

    assert '<html lang="de">' in page
    assert '<h1><span lang="en">Plenary on due diligence</span></h1>' in page
    assert '<div class="prose" lang="en">' in page
    # Never inside the title bar or an attribute: there the text stays plain.
    title = page.split("<title>")[1].split("</title>")[0]
    assert "Plenary on due diligence" in title and "<span" not in title
    assert "&lt;span" not in page


def test_title_in_the_page_language_carries_no_lang(client, group, german_reader):
    from tests.meetings.factories import make_meeting

    meeting = make_meeting(group, title_de="Plenarsitzung", title_en="Plenary")
    client.force_login(german_reader.user)

    page = client.get(reverse("meetings:detail", args=[meeting.pk])).text

    assert "<h1>Plenarsitzung</h1>" in page
    assert '<div class="prose" lang=' not in page


def test_meeting_list_and_agenda_mark_english_titles_on_german_pages(client, group, german_reader):
    from meetings.models import AgendaItem
    from tests.meetings.factories import make_meeting

    meeting = make_meeting(group, title_en="Plenary on due diligence", title_nl="", title_fr="")
    AgendaItem.objects.create(meeting=meeting, position=1, title_en="Any other business", duration_minutes=10)
    client.force_login(german_reader.user)

    listing = client.get(reverse("meetings:list")).text
    detail = client.get(reverse("meetings:detail", args=[meeting.pk])).text

    assert '<span lang="en">Plenary on due diligence</span></a>' in listing
    assert '<span lang="en">Any other business</span>' in detail


def test_public_page_marks_a_group_name_in_another_language(client):
    from tests.factories import GroupFactory

    group = GroupFactory(
        name_de="", name_nl="", name_fr="", name_en="Business and human rights", is_public=True
    )

    page = client.get(reverse("public:group", args=[group.slug]), HTTP_ACCEPT_LANGUAGE="de").text

    assert '<h1><span lang="en">Business and human rights</span></h1>' in page


# Roles follow the person's form of address where the language says them differently.


@pytest.mark.parametrize(
    ("language", "woman", "man"),
    [
        ("fr", "Présidente", "Président"),
        ("de", "Vorsitzende", "Vorsitzender"),
        ("nl", "Voorzitter", "Voorzitter"),
    ],
)
def test_group_page_names_the_chair_as_the_language_does(client, language, woman, man):
    from tests.factories import GroupFactory, make_member

    group = GroupFactory()
    reader = make_member(group, "member", language=language)
    chair = make_member(group, "chair", form_of_address="ms")
    other = GroupFactory()
    make_member(other, "chair", form_of_address="mr")
    client.force_login(reader.user)

    page = client.get(reverse("members:group-detail", args=[group.slug])).text
    assert f"<td>{woman}" in page
    chair.memberships.update(group=other)
    make_member(group, "chair", form_of_address="mr")
    page = client.get(reverse("members:group-detail", args=[group.slug])).text
    assert f"<td>{man}" in page


def test_directory_says_vorsitzende_of_a_woman_who_chairs(client, group):
    from tests.factories import make_member

    reader = make_member(group, "member", language="de")
    make_member(group, "chair", form_of_address="ms")
    client.force_login(reader.user)

    page = client.get(reverse("members:directory")).text

    assert ": Vorsitzende</li>" in page


def test_members_set_their_form_of_address_in_their_profile(client, group):
    from tests.factories import make_member

    member = make_member(group, "chair", language="fr")
    client.force_login(member.user)
    page = client.get(reverse("members:profile")).text
    assert 'name="form_of_address"' in page

    data = {
        "name": member.user.name,
        "job_title": "",
        "form_of_address": "ms",
        "administration": "",
        "phone": "",
        "language": "fr",
        "timezone": "Europe/Brussels",
    }
    response = client.post(reverse("members:profile"), data)

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.form_of_address == "ms"
    assert "<td>Présidente</td>" in client.get(reverse("members:profile")).text
