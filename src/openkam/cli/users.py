"""``openkam createuser``: a login, linked to a person with a role."""

from __future__ import annotations

from typing import Annotated

import typer

from openkam.cli.common import DataDir, console, fail, setup_django
from openkam.web.core.roles import Role

ACCESS_ROLES = ["admin", "champion", "kam", "sponsor", "viewer"]


def createuser_command(
    username: Annotated[str, typer.Argument(help="Login name.", show_default=False)],
    role: Annotated[
        str, typer.Option(help=f"One of: {', '.join(r.value for r in Role)}.")
    ] = "viewer",
    password: Annotated[
        str | None,
        typer.Option(help="Password (asked for when omitted).", show_default=False),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Full name [default: the username].")] = None,
    email: Annotated[str, typer.Option(help="E-mail address.")] = "",
    person_id: Annotated[
        str | None,
        typer.Option(help="Link the login to this existing person instead of creating one."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a login with a role (admin, champion, kam, sponsor, viewer …)."""
    if role not in Role.values:
        raise fail(f"unknown role {role!r}; choose one of: {', '.join(Role.values)}", 2)
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    setup_django(data_dir)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import ValidationError, validate_password
    from django.db import transaction

    from openkam.web.core import audit
    from openkam.web.people.models import Person

    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise fail(f"a user named {username!r} already exists")
    try:
        validate_password(password)
    except ValidationError as exc:
        raise fail("; ".join(exc.messages)) from None
    with transaction.atomic():
        user = User.objects.create_user(
            username,
            email=email,
            password=password,
            is_staff=role == "admin",
            is_superuser=role == "admin",
        )
        if person_id:
            person = Person.objects.filter(person_id=person_id).first()
            if person is None:
                raise fail(f"no person with id {person_id!r}")
            if person.user_id:
                raise fail(f"person {person_id!r} already has a login")
            person.user = user
            person.role = role
            person.save()
        else:
            person = Person.objects.create(
                person_id=f"U-{username}", name=name or username, email=email, role=role, user=user
            )
            audit.record("create", person, actor="cli", changes=audit.snapshot(person))
    console.print(f"[green]created[/] {username} ({Role(role).label})")
