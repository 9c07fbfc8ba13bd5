"""`make run` restarts a dying process after a pause that doubles while it keeps dying fast."""

from tools.devstack.supervisor import RestartBackoff


def test_quick_deaths_double_the_pause_up_to_the_ceiling_and_a_long_run_resets_it():
    backoff = RestartBackoff(first=1, ceiling=8, healthy_after=60)
    assert [backoff.delay("datasets", ran=2) for _ in range(5)] == [1, 2, 4, 8, 8]
    assert backoff.delay("auth", ran=2) == 1  # each process has its own count
    assert backoff.delay("datasets", ran=600) == 1
    assert backoff.delay("datasets", ran=1) == 2
