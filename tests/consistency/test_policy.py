"""The account policy, row by row, through every face that offers each action.

Actor kinds × target kinds × actions; each row's expected decision is the policy as the README
states it, and every face that offers the action (REST, GraphQL, the admin) must reach it — on
SQLite and PostgreSQL. A face that does not offer a combination (GraphQL's self-only mutations
on another account, the admin for non-staff) has no row for it.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from citygraph.domain.policy import AccountAction as A
from citygraph.services import Services
from tests.consistency.conftest import (
    PASSWORD,
    SAME_ORIGIN,
    Account,
    Decision,
    Faces,
    graphql_decision,
    make_account,
    rest_decision,
)

ACTORS = ("anonymous", "inactive", "user", "staff", "superuser")
TARGETS = ("self", "user", "staff", "superuser", "missing")
MISSING_ID = 2_000_000_000


def expected(actor: str, target: str, action: A) -> Decision:
    """The policy table of ``citygraph.domain.policy`` (and the README), written out."""
    if actor in ("anonymous", "inactive"):
        return Decision.UNAUTHENTICATED
    if target == "missing":
        return Decision.NOT_FOUND
    if target == "self":
        if action in (A.DEACTIVATE, A.REVOKE_STAFF):
            return Decision.DENIED
        if actor == "user" and action in (A.ACTIVATE, A.GRANT_STAFF):
            return Decision.DENIED
        return Decision.ALLOWED
    if actor == "user":
        return Decision.DENIED
    if target == "superuser" and actor == "staff" and action is not A.VIEW:
        return Decision.DENIED
    return Decision.ALLOWED


@dataclass
class Case:
    faces: Faces
    actor: Account | None
    target_id: int


FaceCall = Callable[[Case], Awaitable[Decision]]


# --- REST --------------------------------------------------------------------------------------


async def rest_view(case: Case) -> Decision:
    return rest_decision(
        await case.faces.rest("GET", f"/auth/users/{case.target_id}/", actor=case.actor)
    )


async def rest_change_email(case: Case) -> Decision:
    body = {"email": "changed@example.com"}
    path = f"/auth/users/{case.target_id}/"
    return rest_decision(await case.faces.rest("PATCH", path, body, actor=case.actor))


async def rest_delete(case: Case) -> Decision:
    body = {"current_password": PASSWORD}
    path = f"/auth/users/{case.target_id}/"
    return rest_decision(await case.faces.rest("DELETE", path, body, actor=case.actor))


async def rest_set_username(case: Case) -> Decision:
    body = {"current_password": PASSWORD, "new_username": "renamed"}
    path = "/auth/users/set_username/"
    return rest_decision(await case.faces.rest("POST", path, body, actor=case.actor))


async def rest_set_password(case: Case) -> Decision:
    body = {"new_password": "Another-Horse-77", "current_password": PASSWORD}
    path = "/auth/users/set_password/"
    return rest_decision(await case.faces.rest("POST", path, body, actor=case.actor))


# --- GraphQL -----------------------------------------------------------------------------------


def graphql(field: str, document: str, *, by_id: bool) -> FaceCall:
    async def call(case: Case) -> Decision:
        variables = {"id": case.target_id} if by_id else {}
        response = await case.faces.graphql(document, variables, actor=case.actor)
        return graphql_decision(response, field)

    return call


gql_view = graphql("user", "query($id: Int!) { user(id: $id) { id } }", by_id=True)
gql_change_email = graphql(
    "changeEmail", 'mutation { changeEmail(email: "changed@example.com") { id } }', by_id=False
)
gql_change_username = graphql(
    "changeUsername",
    f'mutation {{ changeUsername(currentPassword: "{PASSWORD}", newUsername: "renamed") '
    "{ id } }",
    by_id=False,
)
gql_change_password = graphql(
    "changePassword",
    f'mutation {{ changePassword(currentPassword: "{PASSWORD}", '
    'newPassword: "Another-Horse-77") }',
    by_id=False,
)
gql_delete = graphql(
    "deleteAccount", f'mutation {{ deleteAccount(currentPassword: "{PASSWORD}") }}', by_id=False
)
gql_activate = graphql(
    "activateUser", "mutation($id: Int!) { activateUser(id: $id) { id } }", by_id=True
)
gql_deactivate = graphql(
    "deactivateUser", "mutation($id: Int!) { deactivateUser(id: $id) { id } }", by_id=True
)


# --- the admin (staff only: others cannot sign in to it) -----------------------------------------


async def admin_view(case: Case) -> Decision:
    assert case.actor is not None
    async with case.faces.admin_client(case.actor) as browser:
        page = await browser.get(f"/admin/user/details/{case.target_id}")
    return {200: Decision.ALLOWED, 404: Decision.NOT_FOUND}[page.status_code]


def admin_action(name: str) -> FaceCall:
    async def call(case: Case) -> Decision:
        assert case.actor is not None
        async with case.faces.admin_client(case.actor) as browser:
            response = await browser.get(
                f"/admin/user/action/{name}?pks={case.target_id}",
                headers={"Referer": "http://testserver/admin/user/list"},
            )
            assert response.status_code == 302, response.text
            page = await browser.get("/admin/user/list")
        if "text-bg-success" in page.text:
            return Decision.ALLOWED
        assert "text-bg-danger" in page.text, page.text
        return Decision.NOT_FOUND if "No User matches" in page.text else Decision.DENIED

    return call


async def admin_set_password(case: Case) -> Decision:
    assert case.actor is not None
    target = await case.faces.user(case.target_id)
    form = {"new_password": "Another-Horse-77", "new_password_again": "Another-Horse-77"}
    if target is not None:  # keep the switches as they are: only the password changes
        form.update({key: "y" for key in ("is_active", "is_staff") if getattr(target, key)})
    async with case.faces.admin_client(case.actor) as browser:
        response = await browser.post(
            f"/admin/user/edit/{case.target_id}", data=form, headers=SAME_ORIGIN
        )
    if response.status_code == 302:
        return Decision.ALLOWED
    if response.status_code == 404 or "No User matches" in response.text:
        return Decision.NOT_FOUND
    assert response.status_code == 400, response.text
    return Decision.DENIED


@dataclass(frozen=True)
class FaceOf:
    name: str
    call: FaceCall
    self_only: bool = False
    staff_only: bool = False  # the admin


FACES: dict[A, list[FaceOf]] = {
    A.VIEW: [
        FaceOf("rest", rest_view),
        FaceOf("graphql", gql_view),
        FaceOf("admin", admin_view, staff_only=True),
    ],
    A.CHANGE_EMAIL: [
        FaceOf("rest", rest_change_email),
        FaceOf("graphql", gql_change_email, self_only=True),
    ],
    A.CHANGE_USERNAME: [
        FaceOf("rest", rest_set_username, self_only=True),
        FaceOf("graphql", gql_change_username, self_only=True),
    ],
    A.CHANGE_PASSWORD: [
        FaceOf("rest", rest_set_password, self_only=True),
        FaceOf("graphql", gql_change_password, self_only=True),
        FaceOf("admin", admin_set_password, staff_only=True),
    ],
    A.DELETE: [
        FaceOf("rest", rest_delete),
        FaceOf("graphql", gql_delete, self_only=True),
    ],
    A.ACTIVATE: [
        FaceOf("graphql", gql_activate),
        FaceOf("admin", admin_action("activate"), staff_only=True),
    ],
    A.DEACTIVATE: [
        FaceOf("graphql", gql_deactivate),
        FaceOf("admin", admin_action("deactivate"), staff_only=True),
    ],
    A.GRANT_STAFF: [FaceOf("admin", admin_action("grant-staff"), staff_only=True)],
    A.REVOKE_STAFF: [FaceOf("admin", admin_action("revoke-staff"), staff_only=True)],
}


def rows() -> list[tuple[str, str, A, FaceOf]]:
    found = []
    for actor, target, action in itertools.product(ACTORS, TARGETS, A):
        for face in FACES[action]:
            if face.self_only and target != "self":
                continue
            if face.staff_only and actor not in ("staff", "superuser"):
                continue
            if target == "self" and actor == "anonymous":
                continue
            found.append((actor, target, action, face))
    return found


ROWS = rows()


async def _cast(services: Services, actor_kind: str) -> tuple[Account | None, dict[str, int]]:
    """The actor and the ids of the target kinds (another user, staff member, superuser)."""
    others = {
        "user": await make_account(services, "someone"),
        "staff": await make_account(services, "colleague", staff=True),
        "superuser": await make_account(services, "boss", staff=True, superuser=True),
    }
    actor: Account | None = None
    if actor_kind != "anonymous":
        actor = await make_account(
            services,
            "actor",
            active=actor_kind != "inactive",
            staff=actor_kind in ("staff", "superuser"),
            superuser=actor_kind == "superuser",
        )
    ids = {kind: account.id for kind, account in others.items()}
    ids["missing"] = MISSING_ID
    if actor is not None:
        ids["self"] = actor.id
    return actor, ids


@pytest.mark.parametrize(
    ("actor_kind", "target_kind", "action", "face"),
    ROWS,
    ids=[f"{a}-{t}-{act.value}-{f.name}" for a, t, act, f in ROWS],
)
async def test_policy_row(
    faces: Faces, services: Services, actor_kind: str, target_kind: str, action: A, face: FaceOf
) -> None:
    actor, ids = await _cast(services, actor_kind)
    decision = await face.call(Case(faces, actor, ids[target_kind]))
    assert decision == expected(actor_kind, target_kind, action)


def test_every_action_has_a_face_and_every_face_a_row() -> None:
    assert set(FACES) == set(A)
    covered = {(action, face.name) for _a, _t, action, face in ROWS}
    assert covered == {(action, face.name) for action in A for face in FACES[action]}
