"""The classification core speaks the words of the models without importing them (it has no Django):
these tests keep the two in step."""

from airspace.registry.models import Aircraft
from airspace.surveillance import classification
from airspace.surveillance.models import Classification
from airspace.zones.models import RestrictedZone


def test_the_cores_classification_words_are_the_models_choices_in_order():
    assert list(classification.CLASSIFICATIONS) == list(Classification.values)
    for code, word in enumerate(classification.CLASSIFICATIONS):
        assert Classification(word) == classification.CLASSIFICATIONS[code]


def test_the_core_knows_which_aircraft_may_fly_and_which_zones_forbid_flight():
    assert classification.REGISTERED == Aircraft.Status.REGISTERED
    assert classification.PROHIBITED == RestrictedZone.Kind.PROHIBITED
