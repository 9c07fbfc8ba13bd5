"""The auth service's decisions, without a database: services/auth/rules.py."""

from datetime import UTC, datetime, timedelta

import pytest

from inferlane.common.errors import InvalidInput, PermissionDenied
from inferlane.common.principal import ADMIN, SERVICE, USER, Principal
from services.auth import rules

PERSON = Principal(user_id="u1", role=USER, token="t")
BY_KEY = Principal(user_id="u1", role=USER, token="t", api_key_id="k1")
SERVICE_ACCOUNT = Principal(user_id="s1", role=SERVICE, token="t")


def test_a_person_registers_with_a_normalised_address() -> None:
    assert rules.registrable_email("  Ada@Example.COM ") == "ada@example.com"


@pytest.mark.parametrize("email", ["tasks-worker@service.invalid", "X@SERVICE.INVALID"])
def test_service_account_addresses_cannot_be_registered(email: str) -> None:
    with pytest.raises(InvalidInput, match="reserved"):
        rules.registrable_email(email)


@pytest.mark.parametrize("email", ["", "no-at-sign", "a@b", "a b@c.d", "x" * 320 + "@a.io"])
def test_what_is_not_an_address_is_refused(email: str) -> None:
    with pytest.raises(InvalidInput, match="not an email"):
        rules.registrable_email(email)


@pytest.mark.parametrize("role", [USER, ADMIN])
def test_admins_give_user_or_admin(role: str) -> None:
    rules.check_assignable(role)


@pytest.mark.parametrize("role", [SERVICE, "root", "", "ADMIN"])
def test_no_other_role_can_be_given(role: str) -> None:
    with pytest.raises(InvalidInput, match="role must be one of"):
        rules.check_assignable(role)


def test_a_signed_in_person_names_a_key_trimmed() -> None:
    assert rules.new_key_name(PERSON, "  laptop ") == "laptop"
    assert rules.new_key_name(PERSON, "k" * rules.MAX_KEY_NAME) == "k" * rules.MAX_KEY_NAME


@pytest.mark.parametrize("name", ["", "   ", "k" * (rules.MAX_KEY_NAME + 1)])
def test_key_names_are_1_to_100_characters(name: str) -> None:
    with pytest.raises(InvalidInput, match="name of 1 to 100"):
        rules.new_key_name(PERSON, name)


def test_a_key_cannot_mint_or_list_keys() -> None:
    with pytest.raises(PermissionDenied, match="API key cannot manage"):
        rules.new_key_name(BY_KEY, "another")
    with pytest.raises(PermissionDenied):
        rules.check_manages_keys(BY_KEY)
    rules.check_manages_keys(PERSON)


def test_service_accounts_get_keys_from_configuration_only() -> None:
    with pytest.raises(PermissionDenied, match="configuration"):
        rules.new_key_name(SERVICE_ACCOUNT, "extra")


def test_a_key_may_revoke_itself_but_no_other_key() -> None:
    rules.check_revokes_key(BY_KEY, "k1")
    rules.check_revokes_key(PERSON, "k1")
    with pytest.raises(PermissionDenied):
        rules.check_revokes_key(BY_KEY, "k2")


def test_a_spent_refresh_token_is_a_race_only_within_the_grace_period() -> None:
    spent = datetime(2026, 1, 1, tzinfo=UTC)
    grace = rules.DEFAULT_REFRESH_GRACE
    assert rules.refresh_raced(spent, spent, grace)
    assert rules.refresh_raced(spent, spent + grace, grace)
    assert not rules.refresh_raced(spent, spent + grace + timedelta(microseconds=1), grace)
    assert not rules.refresh_raced(spent, spent + timedelta(seconds=1), timedelta(0))
