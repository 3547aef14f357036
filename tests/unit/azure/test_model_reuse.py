"""The check and the emit share one Azure model per app and settings (build_model keeps the last one)."""

from sls_neutral.providers.azure.model import build_model

from tests.unit.azure.test_azure_model import SETTINGS, reference_like


def test_the_same_app_and_settings_reuse_the_model_other_settings_or_apps_do_not():
    app = reference_like()
    model = build_model(app, SETTINGS)
    assert build_model(app, dict(SETTINGS)) is model
    consumption = build_model(app, {**SETTINGS, "plan": "consumption"})
    assert consumption is not model and consumption.plan == "consumption"
    other = reference_like()
    assert build_model(other, SETTINGS) is not build_model(app, SETTINGS)
    assert build_model(other, SETTINGS).names == model.names
