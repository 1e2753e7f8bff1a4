"""An OpenID Connect provider stand-in (the agency's single sign-on): discovery, a login form,
the authorization code flow with PKCE, RS256 ID tokens, JWKS and userinfo."""
