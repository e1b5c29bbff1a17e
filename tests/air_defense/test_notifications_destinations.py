"""Where webhooks may go: only to WEBHOOK_ALLOWED_DESTINATIONS, checked when subscribing and again
on the resolved address at every delivery, and posted to the address that was checked (DNS
rebinding), with the host name kept for Host, TLS SNI and the certificate check.

Receivers listen on loopback only. Host names are answered by `fake_dns`, in this process: no query
leaves the machine, and a test can make a name change its answer, as an attacker's DNS would.
The private and reserved addresses below (10.x, fd00::, 169.254.169.254, …) are only judged by the
subscription check: no test creates a notification for them, so nothing is ever posted there."""

import ipaddress
import socket
import ssl

import pytest
import trustme
from standardwebhooks import Webhook

from airspace.air_defense import webhooks
from airspace.air_defense.models import AirDefenseNotification, WebhookDelivery, WebhookSubscription
from airspace.air_defense.notifications import record_notification
from airspace.air_defense.services import subscribe_webhook
from airspace.air_defense.tasks import create_webhook_deliveries, deliver_notification, deliver_webhook
from tests.fixtures_celery import RECEIVER_PORTS, free_port

SUBSCRIPTIONS = "/api/v1/air-defense/subscriptions/"


@pytest.fixture
def air_defense(client_for, air_defense_user):
    return client_for(air_defense_user)


@pytest.fixture
def fake_dns(monkeypatch):
    """fake_dns({"c2.test": ["127.0.0.1", "127.0.0.2"]}): each lookup of a name takes the next answer
    (the last one repeats); other names that are not addresses or localhost do not resolve."""
    real_getaddrinfo = socket.getaddrinfo
    lookups = {}

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name in answers:
            lookups[name] = lookups.get(name, 0) + 1
            sequence = answers[name]
            address = sequence[min(lookups[name], len(sequence)) - 1]
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port or 0)))]
        try:
            return real_getaddrinfo(host, port, *args, **{**kwargs, "flags": socket.AI_NUMERICHOST})
        except socket.gaierror:
            if name == "localhost":
                return real_getaddrinfo(host, port, *args, **kwargs)
            raise

    answers = {}
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def configure(names):
        answers.update(names)
        return lookups

    return configure


def alert():
    return record_notification(
        kind=AirDefenseNotification.Kind.TRACK_HOSTILE,
        severity=AirDefenseNotification.Severity.CRITICAL,
        payload={"track": {"identity": "radar1:r1-7"}},
    )


def pending_delivery(subscription):
    notification = alert()
    deliver_notification(str(notification.pk))
    create_webhook_deliveries([str(notification.pk)])
    return WebhookDelivery.objects.get(subscription=subscription, notification=notification)


# --- subscribing -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_allowlist_means_no_webhooks_and_subscribing_says_so(air_defense, settings, webhook_receiver):
    settings.WEBHOOK_ALLOWED_DESTINATIONS = []

    response = air_defense.post(SUBSCRIPTIONS, {"name": "C2", "url": webhook_receiver().url}, format="json")

    assert response.status_code == 400
    assert "WEBHOOK_ALLOWED_DESTINATIONS is empty" in response.json()["url"][0]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.django_db
def test_a_destination_outside_the_allowlist_is_refused(air_defense, settings):
    settings.WEBHOOK_ALLOWED_DESTINATIONS = ["10.20.0.0/16", "c2.north.test"]

    response = air_defense.post(SUBSCRIPTIONS, {"name": "C2", "url": "http://10.30.0.5:8080/hook"}, format="json")

    assert response.status_code == 400
    assert "not in WEBHOOK_ALLOWED_DESTINATIONS" in response.json()["url"][0]


@pytest.mark.django_db
def test_hosts_and_ranges_of_the_allowlist_are_accepted(air_defense, settings, fake_dns):
    settings.WEBHOOK_ALLOWED_DESTINATIONS = ["10.20.0.0/16", "c2.north.test", "fd00:20::/32"]
    fake_dns({"c2.north.test": ["10.99.0.7"], "c2.south.test": ["10.20.0.9"]})

    for url in (
        "http://10.20.3.4:8080/hook",
        "https://c2.north.test/hook",  # by name, wherever it points (but see the next test)
        "https://c2.south.test/hook",  # by the range its address is in
        "http://[fd00:20::5]/hook",
    ):
        response = air_defense.post(SUBSCRIPTIONS, {"name": url, "url": url}, format="json")
        assert response.status_code == 201, (url, response.json())


@pytest.mark.django_db
def test_a_name_that_does_not_resolve_is_refused(air_defense, fake_dns, settings):
    settings.WEBHOOK_ALLOWED_DESTINATIONS = ["c2.gone.test", "10.0.0.0/8"]
    fake_dns({})

    response = air_defense.post(SUBSCRIPTIONS, {"name": "C2", "url": "http://c2.gone.test/hook"}, format="json")

    assert response.status_code == 400
    assert "does not resolve" in response.json()["url"][0]


@pytest.mark.parametrize(
    "entries, url, problem",
    [
        # Never, whatever the allowlist says.
        (["0.0.0.0/0"], "http://169.254.169.254/latest/meta-data/", "link-local"),
        (["::/0"], "http://[fe80::1]/", "link-local"),
        (["0.0.0.0/0"], "http://224.0.0.1/", "multicast"),
        (["0.0.0.0/0"], "http://240.0.0.1/", "reserved"),
        (["0.0.0.0/0"], "http://0.0.0.0:8000/", "reserved"),
        (["127.0.0.1"], "http://127.0.0.1:6379/", "broker"),  # the test broker, named exactly or not
        (["127.0.0.1"], "http://[::ffff:127.0.0.1]:5432/", "database"),
        # Loopback only when named exactly: a range does not reach this host, nor does a host name
        # (its DNS could point anywhere).
        (["127.0.0.0/8"], "http://127.0.0.1:18499/", "this host"),
        (["0.0.0.0/0", "::/0"], "http://[::1]:8000/", "this host"),
        (["localhost"], "http://localhost:18499/", "this host"),
    ],
)
def test_never_this_host_unless_named_nor_metadata_multicast_or_the_broker(settings, entries, url, problem):
    settings.WEBHOOK_ALLOWED_DESTINATIONS = entries
    assert problem in (webhooks.destination_problem(url) or "")


def test_this_hosts_own_addresses_need_an_exact_entry(settings, monkeypatch):
    # This host's non-loopback address, fixed here so the rule is checked on any machine (a CI box
    # may have loopback only); that the list is read from the real interfaces is the next test.
    own = "192.0.2.77"
    monkeypatch.setattr(webhooks, "_this_hosts_addresses", lambda: {ipaddress.ip_address(own)})
    settings.WEBHOOK_ALLOWED_DESTINATIONS = [f"{own}/8"]
    assert "this host" in webhooks.destination_problem(f"http://{own}:18499/hook")
    settings.WEBHOOK_ALLOWED_DESTINATIONS = [own]
    assert webhooks.destination_problem(f"http://{own}:18499/hook") is None


def test_this_hosts_addresses_are_read_from_its_interfaces():
    # Loopback is on every host's interfaces and nowhere else in the rule's inputs.
    assert ipaddress.ip_address("127.0.0.1") in webhooks._this_hosts_addresses()


def test_a_bad_allowlist_entry_is_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.WEBHOOK_ALLOWED_DESTINATIONS = ["10.0.0.0/33"]
    with pytest.raises(ImproperlyConfigured, match="10.0.0.0/33"):
        webhooks.destination_problem("http://10.0.0.5/")


# --- at every delivery -----------------------------------------------------------------------


@pytest.mark.django_db
def test_existing_subscriptions_get_nothing_once_webhooks_are_turned_off(settings, webhook_receiver, air_defense_user):
    receiver = webhook_receiver()
    subscription = subscribe_webhook(name="C2", url=receiver.url, user=air_defense_user)
    delivery = pending_delivery(subscription)

    settings.WEBHOOK_ALLOWED_DESTINATIONS = []
    assert deliver_webhook(delivery.pk) == "refused"
    later = alert()
    deliver_notification(str(later.pk))
    create_webhook_deliveries([str(later.pk)])

    assert receiver.received() == []
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "WEBHOOK_ALLOWED_DESTINATIONS is empty" in delivery.last_error
    assert not WebhookDelivery.objects.filter(notification=later).exists()


@pytest.mark.django_db
def test_a_destination_taken_off_the_allowlist_is_not_posted_to(settings, webhook_receiver, air_defense_user):
    receiver = webhook_receiver()
    subscription = subscribe_webhook(name="C2", url=receiver.url, user=air_defense_user)
    delivery = pending_delivery(subscription)

    settings.WEBHOOK_ALLOWED_DESTINATIONS = ["10.0.0.0/8"]

    assert deliver_webhook(delivery.pk) == "refused"
    assert receiver.received() == []
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "not in WEBHOOK_ALLOWED_DESTINATIONS" in delivery.last_error


@pytest.fixture
def receivers_on_one_port(webhook_receiver):
    """The C2 receiver on 127.0.0.1 and, on the same port, what an attacker wants reached on 127.0.0.2
    (in a real attack: the database, a metadata service, a host outside the allowlist)."""
    port = free_port(RECEIVER_PORTS)
    return webhook_receiver(address="127.0.0.1", port=port), webhook_receiver(address="127.0.0.2", port=port)


@pytest.mark.django_db
def test_a_name_that_changes_its_answer_after_subscribing_is_refused(
    air_defense, fake_dns, receivers_on_one_port, air_defense_user
):
    c2, elsewhere = receivers_on_one_port
    fake_dns({"c2.test": ["127.0.0.1", "127.0.0.2"]})  # allowed when subscribing, then elsewhere
    created = air_defense.post(SUBSCRIPTIONS, {"name": "C2", "url": f"http://c2.test:{c2.port}/hook"}, format="json")
    assert created.status_code == 201, created.json()
    delivery = pending_delivery(WebhookSubscription.objects.get())

    assert deliver_webhook(delivery.pk) == "refused"

    assert elsewhere.received() == [] and c2.received() == []
    delivery.refresh_from_db()
    assert "127.0.0.2" in delivery.last_error


@pytest.mark.django_db
def test_the_post_goes_to_the_address_that_was_checked(air_defense, fake_dns, receivers_on_one_port):
    """DNS rebinding: the name answers an allowed address to the check and another one right after.
    The connection must not look the name up again."""
    c2, elsewhere = receivers_on_one_port
    lookups = fake_dns({"c2.test": ["127.0.0.1", "127.0.0.1", "127.0.0.2"]})
    secret = webhooks.new_secret()
    created = air_defense.post(
        SUBSCRIPTIONS,
        {"name": "C2", "url": f"http://c2.test:{c2.port}/hook?site=north", "secret": secret},
        format="json",
    )
    assert created.status_code == 201, created.json()
    delivery = pending_delivery(WebhookSubscription.objects.get())

    assert deliver_webhook(delivery.pk) == "delivered"

    assert elsewhere.received() == []
    [request] = c2.received()
    assert request["headers"]["Host"] == f"c2.test:{c2.port}"
    assert Webhook(secret).verify(request["body"], request["headers"])["id"] == str(delivery.notification_id)
    assert lookups["c2.test"] == 2  # subscribing and delivering; not connecting


@pytest.fixture(scope="module")
def certificate_authority():
    return trustme.CA()


def tls_receiver(webhook_receiver, certificate_authority, name):
    """An https receiver on 127.0.0.1 with a certificate for `name`; records the SNI it was sent."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate_authority.issue_cert(name).configure_cert(context)
    server_names = []
    context.sni_callback = lambda connection, server_name, _: server_names.append(server_name)
    return webhook_receiver(tls=context), server_names


@pytest.mark.django_db
def test_https_to_the_checked_address_keeps_sni_and_the_certificate_check(
    settings, tmp_path, webhook_receiver, certificate_authority, fake_dns, air_defense_user
):
    receiver, server_names = tls_receiver(webhook_receiver, certificate_authority, "c2.test")
    bundle = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(bundle))
    settings.WEBHOOK_CA_BUNDLE = str(bundle)
    fake_dns({"c2.test": ["127.0.0.1", "127.0.0.1", "127.0.0.2"]})
    subscription = subscribe_webhook(name="C2", url=f"https://c2.test:{receiver.port}/hook", user=air_defense_user)
    delivery = pending_delivery(subscription)

    assert deliver_webhook(delivery.pk) == "delivered"

    assert server_names == ["c2.test"]
    [request] = receiver.received()
    assert request["headers"]["Host"] == f"c2.test:{receiver.port}"


@pytest.mark.django_db
def test_https_with_a_certificate_for_another_name_is_not_posted(
    settings, tmp_path, webhook_receiver, certificate_authority, fake_dns, air_defense_user
):
    receiver, _ = tls_receiver(webhook_receiver, certificate_authority, "someone-else.test")
    bundle = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(bundle))
    settings.WEBHOOK_CA_BUNDLE = str(bundle)
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    fake_dns({"c2.test": ["127.0.0.1"]})
    subscription = subscribe_webhook(name="C2", url=f"https://c2.test:{receiver.port}/hook", user=air_defense_user)
    delivery = pending_delivery(subscription)

    assert deliver_webhook(delivery.pk) == "failed"

    assert receiver.received() == []
    delivery.refresh_from_db()
    assert "SSLError" in delivery.last_error and "c2.test" in delivery.last_error
