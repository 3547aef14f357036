import re

from sls_neutral.core.naming import AWS_S3, AZURE_STORAGE_ACCOUNT, GCP_FUNCTION, NameRules, resource_name


def test_short_names_are_cleaned_only():
    assert resource_name("Photo_App", "dev", "resize", rules=GCP_FUNCTION) == "photo-app-dev-resize"


def test_long_names_truncate_with_stable_hash():
    long = "a" * 80
    one = resource_name("svc", "prod", long, rules=AWS_S3)
    two = resource_name("svc", "prod", long, rules=AWS_S3)
    other = resource_name("svc", "prod", long + "b", rules=AWS_S3)
    assert one == two and len(one) == 63 and one != other
    assert re.fullmatch(r"[a-z0-9-]+-[0-9a-f]{8}", one)


def test_storage_account_rules():
    name = resource_name("photo-app", "dev", "storage", rules=AZURE_STORAGE_ACCOUNT)
    assert re.fullmatch(r"[a-z0-9]{3,24}", name)


def test_must_start_with_letter():
    assert resource_name("9lives", rules=NameRules(20, r"a-z0-9-", must_start_with_letter=True)).startswith("x")
