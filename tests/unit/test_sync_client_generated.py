"""The SDK's blocking client is generated from the asyncio one (tools/generate_sync_client.py);
the committed sync.py must be exactly what the generator writes, so the two never drift."""

from tools.generate_sync_client import TARGET, generated


def test_the_committed_sync_client_is_the_generated_one():
    assert TARGET.read_text() == generated(), "aio.py changed: run `make sync-client`"
