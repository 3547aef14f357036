import pytest

from sls_neutral.core.manifest.units import format_duration, parse_duration, parse_size_mb


@pytest.mark.parametrize("value,seconds", [(10, 10.0), ("500ms", 0.5), ("30s", 30.0), ("5m", 300.0),
                                           ("2h", 7200.0), ("4d", 345600.0), ("1.5s", 1.5), ("45", 45.0)])
def test_durations(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["5x", "", "ten", True, -1, "1 h 2", None, [1]])
def test_bad_durations(value):
    with pytest.raises(ValueError):
        parse_duration(value)


@pytest.mark.parametrize("value,mb", [(256, 256), ("512MB", 512), ("1GB", 1024), ("2gb", 2048), ("1.5GB", 1536)])
def test_sizes(value, mb):
    assert parse_size_mb(value) == mb


@pytest.mark.parametrize("value", ["512KB", "1.5MB", 0, -3, True, "big", 1.5])
def test_bad_sizes(value):
    with pytest.raises(ValueError):
        parse_size_mb(value)


def test_format_duration_round_trips():
    for text in ["500ms", "30s", "5m", "2h", "4d"]:
        assert format_duration(parse_duration(text)) == text
