"""Single sign-on with OpenID Connect: the identity provider vouches for a person, the directory says who they are."""
