import factory
from allauth.account.models import EmailAddress

from members.models import Administration, Group, Member, Membership, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Faker("name")
    language = "en"
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-staple")

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        # allauth requires a verified address to sign in (ACCOUNT_EMAIL_VERIFICATION = "mandatory").
        if create:
            obj.save()
            if extracted is not False:
                EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class AdministrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Administration

    acronym = factory.Sequence(lambda n: f"ADM{n}")
    name_en = factory.LazyAttribute(lambda o: f"Administration {o.acronym}")
    name_nl = factory.LazyAttribute(lambda o: f"Administratie {o.acronym}")
    name_fr = factory.LazyAttribute(lambda o: f"Administration {o.acronym} (fr)")
    level = Administration.Level.FEDERAL
    entity = Administration.Entity.FEDERAL


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    user = factory.SubFactory(UserFactory)
    administration = factory.SubFactory(AdministrationFactory)
    job_title = "Policy officer"


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    slug = factory.Sequence(lambda n: f"group-{n}")
    name_en = factory.Sequence(lambda n: f"Working group {n}")
    name_nl = factory.Sequence(lambda n: f"Werkgroep {n}")
    name_fr = factory.Sequence(lambda n: f"Groupe de travail {n}")
    name_de = factory.Sequence(lambda n: f"Arbeitsgruppe {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    member = factory.SubFactory(MemberFactory)
    group = factory.SubFactory(GroupFactory)
    role = Membership.Role.MEMBER


def make_member(group: Group | None = None, role: str = Membership.Role.MEMBER, **member_fields) -> Member:
    """A member (with a verified sign-in) holding `role` in `group`, if a group is given."""
    language = member_fields.pop("language", "en")
    email = member_fields.pop("email", None)
    user_fields = {"language": language, **({"email": email} if email else {})}
    member = MemberFactory(user=UserFactory(**user_fields), **member_fields)
    if group is not None:
        MembershipFactory(member=member, group=group, role=role)
    return member
