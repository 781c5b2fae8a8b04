from oauth2_provider.oauth2_validators import OAuth2Validator

# Users of this group have an address the provider verified (the email_verified claim).
VERIFIED_GROUP = "email-verified"


class Validator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "email": "email", "email_verified": "email"}

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "email_verified": user.groups.filter(name=VERIFIED_GROUP).exists(),
            "name": user.get_full_name() or user.username,
        }
