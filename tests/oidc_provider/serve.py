"""Run the test OpenID Connect provider: `python -m tests.oidc_provider.serve` with
OIDC_PROVIDER_DB, OIDC_PROVIDER_PORT and OIDC_PROVIDER_SETUP (JSON: client_id, secret,
redirect_uris, users [{username, password, email, name, email_verified}]) in the environment."""

import json
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def main() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    os.environ["OIDC_PROVIDER_RSA_KEY"] = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    from tests.oidc_provider.claims import VERIFIED_GROUP

    setup = json.loads(os.environ["OIDC_PROVIDER_SETUP"])
    call_command("migrate", verbosity=0)
    verified = Group.objects.create(name=VERIFIED_GROUP)
    for person in setup["users"]:
        first, _sep, last = person["name"].partition(" ")
        user = User.objects.create_user(
            person["username"], person["email"], person["password"], first_name=first, last_name=last
        )
        if person.get("email_verified", True):
            user.groups.add(verified)
    Application.objects.create(
        name="Concerto",
        client_id=setup["client_id"],
        client_secret=setup["secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(setup["redirect_uris"]),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    call_command("runserver", f"127.0.0.1:{os.environ['OIDC_PROVIDER_PORT']}", use_reloader=False)


if __name__ == "__main__":
    main()
