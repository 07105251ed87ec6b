"""``twofold token create|list|revoke``: service tokens for integrations, from a shell."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.accounts.models import AccessToken, AccessTokenKind, User
from twofold.accounts.permissions import CommandLineOperator
from twofold.accounts.tokens import SCOPES, TokenRefused, issue_token, revoke_token


class Command(BaseCommand):
    help = "Issue, list and revoke API access tokens. `create` prints the new token alone on its last line."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="a service token acting as USERNAME")
        create.add_argument("username")
        create.add_argument(
            "--scope",
            action="append",
            required=True,
            metavar="SCOPE",
            help=f"repeat for several: {', '.join(SCOPES)}",
        )
        create.add_argument("--expires-days", type=int, default=None, metavar="N", help="expire after N days")
        create.add_argument("--name", default="", help="what uses it (default: 'service token for USERNAME')")
        listing = actions.add_parser("list", help="tokens (all, or one account's), newest first")
        listing.add_argument("username", nargs="?")
        revoke = actions.add_parser("revoke", help="stop a token from working, at once")
        revoke.add_argument("id", type=int)

    def handle(self, *args: object, **options: object) -> None:
        operator = CommandLineOperator()
        action = options["action"]
        if action == "create":
            user = self._user(str(options["username"]))
            scopes = [str(scope) for scope in options["scope"]]  # type: ignore[attr-defined]
            try:
                token, raw = issue_token(
                    actor=operator,
                    user=user,
                    name=str(options["name"]) or f"service token for {user.username}",
                    scopes=scopes,
                    kind=AccessTokenKind.SERVICE,
                    expires_days=options["expires_days"],  # type: ignore[arg-type]
                )
            except TokenRefused as refusal:
                raise CommandError(str(refusal)) from None
            expiry = f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "does not expire"
            self.stdout.write(
                f"Token {token.pk} ({token.name}) for {user.username}, scopes {' '.join(token.scopes)}, {expiry}.\n"
                "It is shown once: keep it now.\n"
            )
            self.stdout.write(raw)
        elif action == "list":
            tokens = AccessToken.objects.select_related("user").order_by("pk")
            if options["username"]:
                tokens = tokens.filter(user=self._user(str(options["username"])))
            for token in tokens:
                if token.revoked_at:
                    status = f"revoked {token.revoked_at:%Y-%m-%d}"
                elif token.expires_at:
                    status = f"expires {token.expires_at:%Y-%m-%d}"
                else:
                    status = "live"
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
                self.stdout.write(
                    f"{token.pk}\t{token.kind}\t{token.user.username}\t{token.prefix}…\t{token.name}\t"
                    f"{' '.join(token.scopes)}\t{status}\t{used}"
                )
        else:
            found = AccessToken.objects.filter(pk=int(str(options["id"]))).first()
            if found is None:
                raise CommandError(f"no token {options['id']} (see `twofold token list`)")
            revoke_token(actor=operator, token=found)
            self.stdout.write(f"Token {found.pk} ({found.name}) is revoked.")

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no account {username!r}")
        return user
