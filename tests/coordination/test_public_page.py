import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from meetings.models import Meeting
from members.models import Membership
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_group(group):
    group.is_public = True
    group.mandate_nl = "Het referentiekader opstellen."
    group.mandate_fr = "Élaborer le cadre de référence."
    group.contact_email = "mv-rs@example.be"
    group.save()
    return group


def test_anyone_reads_a_published_group_page_in_their_language(client, public_group, chair):
    response = client.get(reverse("public:group", args=[public_group.slug]), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert "Élaborer le cadre de référence." in response.text
    assert chair.user.name in response.text
    # German is missing: another language is shown instead of nothing.
    response = client.get(reverse("public:group", args=[public_group.slug]), HTTP_ACCEPT_LANGUAGE="de")
    # Fallback order: the reader's language, English, then Dutch, French, German (settings order).
    assert "Het referentiekader opstellen." in response.text
    assert "Élaborer le cadre de référence." not in response.text


def test_contact_address_is_not_in_the_html(client, public_group):
    text = client.get(reverse("public:group", args=[public_group.slug])).text
    assert "mv-rs@example.be" not in text
    assert "mv-rs [" in text


def test_unpublished_page_is_404(client, group):
    assert client.get(reverse("public:group", args=[group.slug])).status_code == 404


def test_next_public_meetings_are_shown_only_when_chosen(client, public_group, chair):
    start = timezone.now() + datetime.timedelta(days=10)
    Meeting.objects.create(
        group=public_group,
        title_en="Plenary of spring",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        is_public=True,
        status=Meeting.Status.SCHEDULED,
    )
    Meeting.objects.create(
        group=public_group,
        title_en="Closed session",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        is_public=False,
        status=Meeting.Status.SCHEDULED,
    )
    Meeting.objects.create(
        group=public_group,
        title_en="Unannounced draft",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        is_public=True,
        status=Meeting.Status.DRAFT,
    )
    url = reverse("public:group", args=[public_group.slug])
    assert "Plenary of spring" not in client.get(url).text
    public_group.show_next_meetings = True
    public_group.save()
    text = client.get(url).text
    assert "Plenary of spring" in text and "Closed session" not in text
    assert "Unannounced draft" not in text


def test_chair_edits_the_public_page(client, group, chair):
    client.force_login(chair.user)
    data = {
        "name_en": "Platform",
        "mandate_en": "Coordinate.",
        "is_public": "on",
        "contact_email": "a@example.be",
    }
    response = client.post(reverse("members:public-page-edit", args=[group.slug]), data)
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.is_public and group.mandate_en == "Coordinate."


def test_publishing_without_a_mandate_is_refused(client, group, chair):
    client.force_login(chair.user)
    response = client.post(
        reverse("members:public-page-edit", args=[group.slug]), {"name_en": "P", "is_public": "on"}
    )
    assert response.status_code == 200
    with translation.override(chair.language):
        message = translation.gettext(
            "Describe the mandate in at least one language before publishing the page."
        )
    assert message in response.text
    group.refresh_from_db()
    assert not group.is_public


def test_chair_adds_and_removes_a_link(client, public_group, chair):
    client.force_login(chair.user)
    url = reverse("members:public-link-add", args=[public_group.slug])
    bad = client.post(url, {"link-title_en": "Plan", "link-url": "javascript:alert(1)"})
    assert bad.status_code == 400 and not public_group.links.exists()
    client.post(url, {"link-title_en": "Action plan", "link-url": "https://example.org/plan.pdf"})
    link = public_group.links.get()
    assert "Action plan" in client.get(reverse("public:group", args=[public_group.slug])).text
    client.post(reverse("members:public-link-remove", args=[public_group.slug, link.pk]))
    assert not public_group.links.exists()


@pytest.mark.parametrize("count", [2, 30])
def test_public_page_queries_do_not_grow(client, public_group, count, django_assert_max_num_queries):
    for _ in range(count):
        make_member(public_group, Membership.Role.SECRETARIAT)
    with django_assert_max_num_queries(5):
        assert client.get(reverse("public:group", args=[public_group.slug])).status_code == 200


PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def test_chair_publishes_a_document_that_anyone_can_download(client, public_group, chair):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(chair.user)
    upload = SimpleUploadedFile('Plan "2027"/final.pdf', PDF, content_type="application/pdf")
    response = client.post(
        reverse("members:public-link-add", args=[public_group.slug]),
        {"link-title_fr": "Plan d'action", "link-document": upload},
    )
    assert response.status_code == 302
    link = public_group.links.get()
    client.logout()

    page = client.get(reverse("public:group", args=[public_group.slug]), HTTP_ACCEPT_LANGUAGE="fr")
    url = reverse("public:group-document", args=[public_group.slug, link.pk])
    assert url in page.text and "Plan d&#x27;action" in page.text
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert "/" not in download["Content-Disposition"].split("filename=")[1]
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.parametrize(
    ("name", "content"),
    [("tool.pdf", b"MZ\x90\x00 a program"), ("empty.pdf", b""), ("notes.exe", b"MZ\x90\x00")],
)
def test_a_dangerous_or_empty_public_document_is_refused(client, public_group, chair, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(chair.user)
    response = client.post(
        reverse("members:public-link-add", args=[public_group.slug]),
        {"link-title_en": "Tool", "link-document": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 400
    assert "errorlist" in response.text
    assert not public_group.links.exists()


def test_link_and_document_together_are_refused(client, public_group, chair):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(chair.user)
    response = client.post(
        reverse("members:public-link-add", args=[public_group.slug]),
        {
            "link-title_en": "Both",
            "link-url": "https://example.org/",
            "link-document": SimpleUploadedFile("a.pdf", PDF),
        },
    )
    assert response.status_code == 400 and not public_group.links.exists()


def test_documents_of_an_unpublished_page_are_not_served(client, public_group, chair):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from members import services

    link = services.add_group_link(
        group=public_group, title={"en": "Plan"}, upload=SimpleUploadedFile("p.pdf", PDF)
    )
    public_group.is_public = False
    public_group.save()
    assert client.get(reverse("public:group-document", args=[public_group.slug, link.pk])).status_code == 404
