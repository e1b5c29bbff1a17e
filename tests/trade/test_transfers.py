"""Transfers: the whole state machine through the API (every state × transition × role), what an
accepted transfer does (the drone's owner changes; the old owner's permits in effect for it are
cancelled in the same transaction and air defense is told), and the race of two people at once."""

import pytest

from airspace import roles
from airspace.air_defense.models import AirDefenseNotification
from airspace.registry.models import Aircraft
from airspace.trade import services
from airspace.trade.models import Transfer, TransferState
from permits.models import State
from tests.conftest import run_together

TRANSITIONS = ["accept", "decline", "cancel"]
# transition -> (the states it leaves from, the state it reaches)
TABLE = {
    "accept": ({TransferState.REQUESTED}, TransferState.ACCEPTED),
    "decline": ({TransferState.REQUESTED}, TransferState.DECLINED),
    "cancel": ({TransferState.REQUESTED}, TransferState.CANCELLED),
}
ALLOWED_ACTORS = {
    "accept": {"buyer", "buyer_colleague"},
    "decline": {"buyer", "buyer_colleague"},
    "cancel": {"seller", "seller_colleague"},
}
ACTORS = [
    "seller",
    "seller_colleague",
    "buyer",
    "buyer_colleague",
    "other_operator",
    "officer",
    "senior",
    "air_defense",
    "dealer",
    "sensor",
]
# The roles the transfers API is not for at all, and who may see a transfer (the rest: 404).
NOT_FOR_THEIR_ROLE = {"air_defense", "dealer", "sensor"}
CAN_SEE = {"seller", "seller_colleague", "buyer", "buyer_colleague", "officer", "senior"}


def expected_status(actor, transition, state):
    if actor in NOT_FOR_THEIR_ROLE:
        return 403
    if actor not in CAN_SEE:
        return 404
    if actor not in ALLOWED_ACTORS[transition]:
        return 403
    sources, _ = TABLE[transition]
    return 200 if state in sources else 409


@pytest.fixture
def actors(make_user):
    return {
        "seller": make_user(roles.OPERATOR, organization="Seller Aerial"),
        "seller_colleague": make_user(roles.OPERATOR, organization="Seller Aerial"),
        "buyer": make_user(roles.OPERATOR, organization="Buyer Survey"),
        "buyer_colleague": make_user(roles.OPERATOR, organization="Buyer Survey"),
        "other_operator": make_user(roles.OPERATOR, organization="Somebody Else Ltd"),
        "officer": make_user(roles.COMMAND_STAFF),
        "senior": make_user(roles.SENIOR_OFFICER),
        "air_defense": make_user(roles.AIR_DEFENSE),
        "dealer": make_user(roles.DEALER, organization="Babylon Drone Imports"),
        "sensor": make_user(roles.SENSOR),
    }


@pytest.fixture
def make_transfer(make_aircraft):
    def make(actors, state=TransferState.REQUESTED, aircraft=None):
        seller, buyer = actors["seller"], actors["buyer"]
        aircraft = aircraft or make_aircraft(seller.operator_membership.operator)
        transfer = services.request_transfer(
            user=seller, aircraft_id=aircraft.pk, to_operator=buyer.operator_membership.operator
        )
        if state == TransferState.ACCEPTED:
            services.accept_transfer(transfer_id=transfer.pk, user=buyer)
        elif state == TransferState.DECLINED:
            services.decline_transfer(transfer_id=transfer.pk, user=buyer)
        elif state == TransferState.CANCELLED:
            services.cancel_transfer(transfer_id=transfer.pk, user=seller)
        transfer.refresh_from_db()
        assert transfer.state == state
        return transfer

    return make


@pytest.mark.django_db
@pytest.mark.parametrize("state", list(TransferState))
@pytest.mark.parametrize("transition", TRANSITIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_transition_matrix(make_transfer, actors, client_for, state, transition, actor):
    transfer = make_transfer(actors, state)
    owner_before = Aircraft.objects.get(pk=transfer.aircraft_id).operator_id
    response = client_for(actors[actor]).post(f"/api/v1/transfers/{transfer.id}/{transition}/")
    expected = expected_status(actor, transition, state)
    assert response.status_code == expected, response.json()
    transfer.refresh_from_db()
    owner_after = Aircraft.objects.get(pk=transfer.aircraft_id).operator_id
    if expected == 200:
        assert transfer.state == TABLE[transition][1]
        assert response.json()["state"] == transfer.state
        last = transfer.history.last()
        assert (last.transition, last.from_state, last.to_state) == (transition, state, transfer.state)
        assert last.actor == actors[actor]
        moved = transition == "accept"
        assert (owner_after == transfer.to_operator_id) if moved else (owner_after == owner_before)
    else:
        assert transfer.state == state
        assert owner_after == owner_before


@pytest.mark.django_db
def test_the_history_says_who_did_what_and_when(make_transfer, actors, client_for):
    transfer = make_transfer(actors, TransferState.ACCEPTED)
    history = client_for(actors["officer"]).get(f"/api/v1/transfers/{transfer.id}/").json()["history"]
    assert [(entry["transition"], entry["to_state"], entry["actor"]) for entry in history] == [
        ("request", "requested", actors["seller"].username),
        ("accept", "accepted", actors["buyer"].username),
    ]
    assert "now belongs to Buyer Survey" in history[1]["reason"]


@pytest.mark.django_db
def test_accepting_cancels_the_old_owners_permits_in_effect_and_tells_air_defense(
    make_transfer, actors, make_permit, make_aircraft
):
    seller = actors["seller"]
    aircraft = make_aircraft(seller.operator_membership.operator)
    approved = make_permit(state=State.APPROVED, owner=seller, aircraft=aircraft)
    active = make_permit(state=State.ACTIVE, owner=seller, aircraft=aircraft)
    draft = make_permit(state=State.DRAFT, owner=seller, aircraft=aircraft)
    elsewhere = make_permit(state=State.APPROVED, owner=seller)  # another drone of the seller
    transfer = make_transfer(actors, aircraft=aircraft)
    before = AirDefenseNotification.objects.count()

    services.accept_transfer(transfer_id=transfer.pk, user=actors["buyer"])

    for permit in (approved, active):
        permit.refresh_from_db()
        assert permit.state == State.CANCELLED
        entry = permit.history.last()
        assert entry.transition == "cancel_for_transfer" and entry.actor is None
        assert entry.reason == f"Aircraft {aircraft.serial_number} was transferred to Buyer Survey."
    cancelled = AirDefenseNotification.objects.filter(kind="permit.cancelled").order_by("created_at")
    assert AirDefenseNotification.objects.count() == before + 2
    assert {n.permit_id for n in cancelled} == {approved.pk, active.pk}
    assert {n.payload["permit"]["state"] for n in cancelled} == {"cancelled"}
    assert {n.payload["permit"]["decision_reason"] for n in cancelled} == {
        f"Aircraft {aircraft.serial_number} was transferred to Buyer Survey."
    }
    # An application is not in effect: it stays, and can no longer be approved for this drone.
    draft.refresh_from_db()
    assert draft.state == State.DRAFT and draft.aircraft_problem() == "The aircraft belongs to another operator."
    elsewhere.refresh_from_db()
    assert elsewhere.state == State.APPROVED
    assert Aircraft.objects.get(pk=aircraft.pk).operator.name == "Buyer Survey"


@pytest.mark.django_db
def test_declining_or_cancelling_cancels_no_permit(make_transfer, actors, make_permit, make_aircraft):
    aircraft = make_aircraft(actors["seller"].operator_membership.operator)
    permit = make_permit(state=State.APPROVED, owner=actors["seller"], aircraft=aircraft)
    make_transfer(actors, TransferState.DECLINED, aircraft=aircraft)
    make_transfer(actors, TransferState.CANCELLED, aircraft=aircraft)
    permit.refresh_from_db()
    assert permit.state == State.APPROVED


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, field",
    [
        ({"to_operator": "Nobody Aerial Ltd"}, "to_operator"),
        ({"to_operator": "Seller Aerial"}, "to_operator"),
        ({"aircraft": "not a number"}, "aircraft"),
        ({"aircraft": "foreign"}, "aircraft"),
        ({"to_operator": ""}, "to_operator"),
    ],
)
def test_a_transfer_with_bad_input_is_a_400_naming_the_field(actors, client_for, make_aircraft, body, field):
    own = make_aircraft(actors["seller"].operator_membership.operator)
    foreign = make_aircraft(actors["buyer"].operator_membership.operator)
    data = {"aircraft": own.pk, "to_operator": "Buyer Survey", **body}
    if data["aircraft"] == "foreign":
        data["aircraft"] = foreign.pk
    response = client_for(actors["seller"]).post("/api/v1/transfers/", data, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Transfer.objects.exists()


@pytest.mark.django_db
def test_one_open_transfer_per_drone(actors, client_for, make_aircraft):
    aircraft = make_aircraft(actors["seller"].operator_membership.operator)
    body = {"aircraft": aircraft.pk, "to_operator": "Buyer Survey"}
    assert client_for(actors["seller"]).post("/api/v1/transfers/", body, format="json").status_code == 201
    body["to_operator"] = "Somebody Else Ltd"
    assert client_for(actors["seller"]).post("/api/v1/transfers/", body, format="json").status_code == 409


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.COMMAND_STAFF, roles.AIR_DEFENSE, roles.DEALER])
def test_only_an_owner_starts_a_transfer(make_user, actors, client_for, make_aircraft, role):
    aircraft = make_aircraft(actors["seller"].operator_membership.operator)
    body = {"aircraft": aircraft.pk, "to_operator": "Buyer Survey"}
    assert client_for(make_user(role)).post("/api/v1/transfers/", body, format="json").status_code == 403


@pytest.mark.django_db
def test_operators_list_only_their_transfers_and_staff_all(make_transfer, actors, client_for):
    transfer = make_transfer(actors)
    assert client_for(actors["buyer"]).get("/api/v1/transfers/").json()["count"] == 1
    assert client_for(actors["seller_colleague"]).get("/api/v1/transfers/").json()["count"] == 1
    assert client_for(actors["other_operator"]).get("/api/v1/transfers/").json()["count"] == 0
    assert client_for(actors["officer"]).get("/api/v1/transfers/").json()["results"][0]["id"] == transfer.pk


def _posting(client, url):
    return lambda: client.post(url).status_code


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second", ["cancel", "decline"])
def test_accept_and_another_act_at_once_one_wins_the_other_is_a_409(make_transfer, actors, client_for, second):
    for _ in range(3):
        Transfer.objects.filter(state=TransferState.REQUESTED).delete()
        transfer = make_transfer(actors)
        other = actors["seller"] if second == "cancel" else actors["buyer_colleague"]
        statuses = run_together(
            _posting(client_for(actors["buyer"]), f"/api/v1/transfers/{transfer.id}/accept/"),
            _posting(client_for(other), f"/api/v1/transfers/{transfer.id}/{second}/"),
        )
        assert sorted(statuses) == [200, 409], statuses
        transfer.refresh_from_db()
        assert transfer.history.exclude(transition="request").count() == 1
        owner = Aircraft.objects.get(pk=transfer.aircraft_id).operator_id
        expected_owner = (
            transfer.to_operator_id if transfer.state == TransferState.ACCEPTED else transfer.from_operator_id
        )
        assert owner == expected_owner
        if transfer.state == TransferState.ACCEPTED:
            break


@pytest.mark.django_db
def test_a_drone_that_changed_hands_since_cannot_be_accepted(make_transfer, actors, client_for):
    transfer = make_transfer(actors)
    # Moved by another path in between (the admin): the offer no longer stands.
    Aircraft.objects.filter(pk=transfer.aircraft_id).update(
        operator=actors["other_operator"].operator_membership.operator
    )
    response = client_for(actors["buyer"]).post(f"/api/v1/transfers/{transfer.id}/accept/")
    assert response.status_code == 409
    assert "no longer belongs to Seller Aerial" in response.json()["detail"]


@pytest.mark.django_db
def test_the_transfers_page_offers_accepts_and_shows_the_history(make_transfer, actors, client, make_aircraft):
    aircraft = make_aircraft(actors["seller"].operator_membership.operator)
    client.force_login(actors["seller"])
    bad = client.post("/transfers/", {"aircraft": aircraft.pk, "to_operator": "Nobody"})
    assert bad.status_code == 400 and "No operator organization has this name." in bad.content.decode()
    assert client.post("/transfers/", {"aircraft": aircraft.pk, "to_operator": "Buyer Survey"}).status_code == 302
    transfer = Transfer.objects.get()
    client.force_login(actors["buyer"])
    page = client.get("/transfers/").content.decode()
    assert f'action="/transfers/{transfer.pk}/accept/"' in page and "/cancel/" not in page
    assert client.post(f"/transfers/{transfer.pk}/accept/").status_code == 302
    transfer.refresh_from_db()
    assert transfer.state == TransferState.ACCEPTED
    client.force_login(actors["officer"])
    page = client.get("/transfers/").content.decode()
    assert "Accepted" in page and "Accept by" in page and "transfer-form" not in page
    client.force_login(actors["other_operator"])
    assert client.post(f"/transfers/{transfer.pk}/cancel/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "state, told, kind, text",
    [
        (TransferState.REQUESTED, "buyer", "transfer.offered", "Seller Aerial offers you aircraft {serial}"),
        (TransferState.ACCEPTED, "seller", "transfer.accepted", "Buyer Survey accepted aircraft {serial}"),
        (TransferState.DECLINED, "seller", "transfer.declined", "Buyer Survey declined aircraft {serial}"),
        (
            TransferState.CANCELLED,
            "buyer",
            "transfer.cancelled",
            "Seller Aerial withdrew its offer of aircraft {serial}",
        ),
    ],
)
def test_the_other_side_is_told_in_its_notices(make_transfer, actors, client_for, state, told, kind, text):
    transfer = make_transfer(actors, state)
    notices = client_for(actors[told]).get("/api/v1/notices/").json()
    notices = notices["results"] if isinstance(notices, dict) else notices
    latest = notices[0]
    assert latest["kind"] == kind and latest["text"].startswith(text.format(serial=transfer.aircraft.serial_number))
