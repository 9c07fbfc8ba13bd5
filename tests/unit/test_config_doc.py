"""The README's configuration table is generated from the settings classes; keep it in sync."""

from tools import config_doc
from tools.devstack.embedded import REPO_ROOT


def test_readme_configuration_table_matches_the_settings():
    readme = (REPO_ROOT / "README.md").read_text()
    assert config_doc.table() in readme, "README's config table is stale: run `make docs`"


def test_every_setting_has_a_description():
    for _process, cls in config_doc.settings_classes():
        missing = [name for name, field in cls.model_fields.items() if not field.description]
        assert missing == [], f"{cls.__name__} lacks descriptions for {missing}"


def test_shared_settings_use_unprefixed_names():
    from services.auth.settings import AuthSettings

    assert config_doc.env_name(AuthSettings, "database_url") == "DATABASE_URL"
    assert config_doc.env_name(AuthSettings, "grpc_port") == "AUTH_GRPC_PORT"
